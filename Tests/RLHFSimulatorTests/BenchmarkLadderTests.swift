import Foundation
import Testing
import RLHFEngine
import RLHFSimulator

/// The ladder's report and its arithmetic bound: the structure and the formula, never a time.
@Suite("The ladder's bound is its FLOP over the measured no-FMA ceiling")
struct BenchmarkLadderTests {
    static let ceiling = ArithmeticCeiling(kernel: .avx512, oneThread: 40e9, twoThreads: 80e9, workerRuns: true)

    static func result(flop: Double, total: Double) -> BenchmarkLadder.Result {
        BenchmarkLadder.Result(rung: .init(width: 96, layers: 4, heads: 4, batch: 16), parameters: 1234,
                               times: (generation: 0.01, scoring: 0.02, update: 0.07, total: total), flop: flop,
                               ceiling: ceiling)
    }

    @Test("bound = FLOP / (2 x two-thread multiply-adds per second), in milliseconds, and its share")
    func boundFromFlop() throws {
        let result = BenchmarkLadderTests.result(flop: 3.2e9, total: 0.1)
        // 3.2e9 operations = 1.6e9 multiply-adds at 80e9 per second: 20 ms, a fifth of 100 ms.
        #expect(try #require(result.boundMs) == 3.2e9 / (2 * 80e9) * 1000)
        #expect(abs(try #require(result.boundMs) - 20) < 1e-9)
        #expect(abs(try #require(result.boundShare) - 0.2) < 1e-12)
        #expect(result.gflop == 3.2 && abs(result.gflops - 32) < 1e-9)
        let none = ArithmeticCeiling(kernel: nil, oneThread: 0, twoThreads: 0, workerRuns: false)
        #expect(none.boundSeconds(flop: 1e9) == nil)
    }

    @Test("the bound scales with the rung's FLOP count")
    func boundScales() throws {
        let small = try #require(BenchmarkLadderTests.result(flop: 1e9, total: 0.05).boundMs)
        let large = try #require(BenchmarkLadderTests.result(flop: 150e9, total: 2.5).boundMs)
        #expect(abs(large / small - 150) < 1e-9)
    }

    @Test("the table names the ceiling and has a bound column; the JSON has bound_ms and ceiling_gflops")
    func reportStructure() {
        let results = [BenchmarkLadderTests.result(flop: 3.2e9, total: 0.1)]
        let text = BenchmarkLadder.text(results, ceiling: BenchmarkLadderTests.ceiling)
        #expect(text.contains("avx512: 40.0 G multiply-adds/s on one thread (80.0 GFLOP/s), 80.0 on two (160.0"))
        let mixed = ArithmeticCeiling(kernel: .avx512, oneThreadKernel: .avx2, oneThread: 46e9, twoThreads: 80e9,
                                      workerRuns: true)
        #expect(mixed.note == "avx2: 46.0 G multiply-adds/s on one thread (92.0 GFLOP/s), avx512: 80.0 on two"
                    + " (160.0 GFLOP/s)")
        #expect(ArithmeticCeiling(kernel: .avx2, oneThreadKernel: .avx2, oneThread: 1, twoThreads: 2,
                                  workerRuns: true).oneThreadKernel == nil)
        #expect(text.contains("bound / iteration"))
        #expect(text.contains("20.0 ms") && text.contains("0.20"))
        let json = BenchmarkLadder.json(results, ceiling: BenchmarkLadderTests.ceiling)
        let rows = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        #expect(rows?.count == 1)
        #expect((rows?.first?["bound_ms"] as? Double).map { abs($0 - 20) < 1e-4 } == true)
        #expect((rows?.first?["ceiling_gflops"] as? Double) == 160)
    }

    @Test("the measured ceiling: the fastest of every vector kernel with a peak loop, on one thread and on two")
    func measuredCeiling() {
        let ceiling = ArithmeticCeiling.measure(steps: 20_000, repetitions: 2)
        let vectorKernels = MatrixKernel.available.filter { $0 != .portable }
        // Every vector kernel (AVX2, AVX-512, NEON) has a peak loop, so each is measured.
        #expect(ArithmeticCeiling.peakKernels == vectorKernels)
        #expect(ceiling.kernel.map(vectorKernels.contains) ?? vectorKernels.isEmpty)
        #expect(ceiling.oneThreadKernel.map { vectorKernels.contains($0) && $0 != ceiling.kernel } ?? true)
        if ceiling.kernel != nil {
            #expect(ceiling.oneThread > 0 && ceiling.twoThreads > 0)
        } else {
            #expect(ceiling.boundSeconds(flop: 1) == nil && ceiling.note.contains("no peak loop"))
        }
    }
}
