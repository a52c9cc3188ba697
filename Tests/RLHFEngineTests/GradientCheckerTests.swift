import Testing
import RLHFEngine

/// The checker itself: it must reject gradients with a wrong sign, a wrong factor or a
/// missing term ("mutations"), while accepting the engine's correct ones. Each test
/// checks both halves, so a checker that accepts everything or rejects everything fails.
@Suite("Gradient checker sanity (mutation tests)")
struct GradientCheckerTests {
    /// A few ops with their inputs, for the generic mutations.
    enum Case: String, CaseIterable, Sendable {
        case gelu, matmul, layerNorm, softmax, biasAdd, crossEntropy

        func report() -> GradientReport {
            var random = SplitMix64(seed: 71)
            switch self {
            case .gelu:
                return GradientChecker.check([random.tensor([3, 4], -3, 3)]) { $0[0].gelu() }
            case .matmul:
                return GradientChecker.check([random.tensor([2, 3, 4]), random.tensor([4, 2])]) {
                    $0[0].matmul($0[1])
                }
            case .layerNorm:
                let gamma = Tensor(shape: [5], data: random.floats(5, 0.5, 1.5), requiresGrad: true)
                return GradientChecker.check([random.tensor([3, 5], -2, 2), gamma, random.tensor([5])]) {
                    $0[0].layerNorm(weight: $0[1], bias: $0[2])
                }
            case .softmax:
                return GradientChecker.check([random.tensor([3, 5], -2, 2)]) { $0[0].softmax() }
            case .biasAdd:
                return GradientChecker.check([random.tensor([4, 3]), random.tensor([3])]) { $0[0] + $0[1] }
            case .crossEntropy:
                return GradientChecker.check([random.tensor([3, 4], -2, 2)]) {
                    $0[0].crossEntropy(targets: [1, 0, 3])
                }
            }
        }
    }

    @Test("the correct gradient passes", arguments: Case.allCases)
    func correctPasses(_ testCase: Case) {
        let report = testCase.report()
        #expect(report.passed, "\(report)")
    }

    @Test("a gradient off by a factor of 2 is rejected", arguments: Case.allCases)
    func doubledRejected(_ testCase: Case) {
        let report = testCase.report()
        #expect(report.passed)
        let mutated = report.replacingAnalytic { _, gradient in gradient.map { 2 * $0 } }
        #expect(!mutated.passed, "a doubled gradient slipped through")
        // Not a fluke of one element: most elements with a real gradient are flagged.
        let significant = report.numeric.joined().filter { Swift.abs($0) > 0.02 }.count
        #expect(mutated.mismatches.count >= significant / 2)
    }

    @Test("a gradient off by a factor of 0.5 (one of two equal terms dropped) is rejected",
          arguments: Case.allCases)
    func halvedRejected(_ testCase: Case) {
        let mutated = testCase.report().replacingAnalytic { _, gradient in gradient.map { 0.5 * $0 } }
        #expect(!mutated.passed, "a halved gradient slipped through")
    }

    @Test("a gradient with the wrong sign is rejected", arguments: Case.allCases)
    func negatedRejected(_ testCase: Case) {
        let mutated = testCase.report().replacingAnalytic { _, gradient in gradient.map { -$0 } }
        #expect(!mutated.passed, "a negated gradient slipped through")
    }

    @Test("a gradient sent to the wrong positions is rejected", arguments: Case.allCases)
    func permutedRejected(_ testCase: Case) {
        let mutated = testCase.report().replacingAnalytic { _, gradient in Array(gradient.reversed()) }
        #expect(!mutated.passed, "a reversed gradient slipped through")
    }

    /// layerNorm's input gradient without the "- mean(gx)" term:
    /// dx = s (gx - xhat mean(gx xhat)) instead of s (gx - mean(gx) - xhat mean(gx xhat)),
    /// i.e. the correct one plus s * mean(gx) in every element of a row.
    @Test("layerNorm missing the -mean(gx) term is rejected")
    func layerNormWithoutMeanTerm() {
        var random = SplitMix64(seed: 72)
        let (rows, width) = (3, 5)
        let x = random.tensor([rows, width], -2, 2)
        let gamma = Tensor(shape: [width], data: random.floats(width, 0.5, 1.5), requiresGrad: true)
        let beta = random.tensor([width])
        let report = GradientChecker.check([x, gamma, beta]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        #expect(report.passed, "\(report)")

        let g = report.outputWeights  // dL/dy
        var shift = [Double](repeating: 0, count: rows * width)
        for row in 0..<rows {
            let values = (0..<width).map { Double(x.data[row * width + $0]) }
            let mean = values.reduce(0, +) / Double(width)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            let s = 1 / (variance + 1e-5).squareRoot()
            let meanGx = (0..<width).map { g[row * width + $0] * Double(gamma.data[$0]) }.reduce(0, +) / Double(width)
            for column in 0..<width { shift[row * width + column] = s * meanGx }
        }
        let mutated = report.replacingAnalytic { input, gradient in
            input == 0 ? zip(gradient, shift).map { $0 + $1 } : gradient
        }
        #expect(!mutated.passed, "layerNorm without -mean(gx) slipped through")
        #expect(mutated.mismatches.allSatisfy { $0.input == 0 })
    }

    /// softmax's gradient without the "- sum_j g_j y_j" term: dx = y * g.
    @Test("softmax missing the -dot(g, y) term is rejected")
    func softmaxWithoutDotTerm() {
        var random = SplitMix64(seed: 73)
        let x = random.tensor([3, 5], -2, 2)
        let report = GradientChecker.check([x]) { $0[0].softmax() }
        #expect(report.passed, "\(report)")
        let y = GradientMode.withoutRecording { x.softmax().data.map(Double.init) }
        let wrong = zip(y, report.outputWeights).map { $0 * $1 }
        let mutated = report.replacingAnalytic { _, _ in wrong }
        #expect(!mutated.passed, "softmax without -dot(g, y) slipped through")
    }

    /// A bias gradient that takes only the first row instead of summing over the rows
    /// it was broadcast to (a broadcasting adjoint that forgets the repeats).
    @Test("a broadcast gradient that is not summed over the repeats is rejected")
    func biasNotSummed() {
        var random = SplitMix64(seed: 74)
        let report = GradientChecker.check([random.tensor([4, 3]), random.tensor([3])]) { $0[0] + $0[1] }
        #expect(report.passed, "\(report)")
        let firstRowOnly = Array(report.outputWeights[0..<3])
        let mutated = report.replacingAnalytic { input, gradient in input == 1 ? firstRowOnly : gradient }
        #expect(!mutated.passed, "an unsummed bias gradient slipped through")
    }

    /// The end-to-end path: a deliberately wrong op built from public pieces, whose
    /// backward differs from its forward, is caught by `check` itself (not only by
    /// `compare`). Forward uses the values of x*x; backward sees the graph of x*x.detached()
    /// (so the gradient is x instead of 2x: one product-rule term is missing).
    @Test("check catches an op whose graph drops a product-rule term")
    func droppedProductRuleTerm() {
        var random = SplitMix64(seed: 75)
        let x = random.tensor([3, 4], -2, 2)
        let report = GradientChecker.check([x]) { $0[0] * $0[0].detached() }
        #expect(!report.passed, "x * x.detached() has gradient x, not 2x; the checker must notice")
        let correct = GradientChecker.check([x]) { $0[0] * $0[0] }
        #expect(correct.passed, "\(correct)")
    }

    @Test("SplitMix64 is deterministic and matches the reference sequence")
    func splitMix() {
        var a = SplitMix64(seed: 1234567)
        var b = SplitMix64(seed: 1234567)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        // Reference values of SplitMix64 seeded with 1234567 (from the published C code).
        #expect(first == [6457827717110365317, 3203168211198807973, 9817491932198370423,
                          4593380528125082431, 16408922859458223821])
        var c = SplitMix64(seed: 9)
        let unit = (0..<1000).map { _ in c.unit() }
        #expect(unit.allSatisfy { $0 >= 0 && $0 < 1 })
    }
}
