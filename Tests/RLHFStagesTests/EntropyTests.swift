import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// The one entropy function (`EpisodeReadout.entropy`): the record, the metrics and the entropy bonus.
@Suite("Entropy of the policy's distributions")
struct EntropyTests {
    /// H = -sum_a p_a log p_a in float64, the hand formula.
    static func handEntropy(_ row: [Double]) -> Double {
        let largest = row.max()!
        let weights = row.map { Foundation.exp($0 - largest) }
        let total = weights.reduce(0, +)
        return -weights.map { $0 / total }.reduce(0) { $0 + $1 * Foundation.log($1) }
    }

    @Test("H by hand: p = (1/4, 3/4) gives 0.5623, four equal logits log 4")
    func byHand() {
        let logits = Tensor(shape: [2, 4], data: [0, Float(Foundation.log(3.0)), -100, -100, 2, 2, 2, 2])
        let entropies = EpisodeReadout.entropies(scaledLogits: logits)
        #expect(abs(entropies[0] - (-(0.25 * Foundation.log(0.25) + 0.75 * Foundation.log(0.75)))) < 1e-6)
        #expect(abs(entropies[1] - Foundation.log(4.0)) < 1e-6)
    }

    @Test("the bonus's gradient: d mean H / dz_a = -p_a (log p_a + H) / N, and finite differences agree")
    func gradient() {
        let rows: [[Double]] = [[0.3, -1.2, 2.0, 0.5], [1.0, 1.0, -0.5, 0.0]]
        let logits = Tensor(shape: [2, 4], data: rows.flatMap { $0.map(Float.init) }, requiresGrad: true)
        let mean = EpisodeReadout.entropy(scaledLogits: logits).mean()
        mean.backward()
        let gradient = logits.grad!
        for (r, row) in rows.enumerated() {
            let entropy = Self.handEntropy(row)
            let largest = row.max()!
            let total = row.reduce(0) { $0 + Foundation.exp($1 - largest) }
            for a in row.indices {
                let p = Foundation.exp(row[a] - largest) / total
                let analytic = -p * (Foundation.log(p) + entropy) / Double(rows.count)
                var (up, down) = (row, row)
                up[a] += 1e-5
                down[a] -= 1e-5
                let numeric = (Self.handEntropy(up) - Self.handEntropy(down)) / 2e-5 / Double(rows.count)
                #expect(abs(Double(gradient[r * 4 + a]) - analytic) < 1e-5, "row \(r) logit \(a)")
                #expect(abs(numeric - analytic) < 1e-8, "row \(r) logit \(a)")
            }
        }
    }

    @Test("rowEntropies from a kept log-softmax: the bits of the graph's entropy, every kernel, 1 to 40 rows")
    func fusedBits() {
        var random = RandomGenerator(seed: 21)
        for (rows, width) in [(1, 62), (3, 5), (7, 8), (8, 62), (40, 62), (16, 300), (9, 1)] {
            let values = (0..<(rows * width)).map { _ in Float(random.nextNormal()) * 3 }
            let logits = Tensor(shape: [rows, width], data: values)
            let plain = EpisodeReadout.entropies(scaledLogits: logits)
            for kernel in MatrixKernel.available {
                let fused = logits.rowEntropies(logSoftmax: logits.logSoftmax(kernel: kernel), kernel: kernel)
                #expect(fused.map { Double($0).bitPattern } == plain.map(\.bitPattern), "\(rows) x \(width) \(kernel)")
            }
            let kept = EpisodeReadout.logprobs(pickedLogits: logits, responseTokens: [Int](repeating: 0, count: rows),
                                               temperature: 1)
            let read = EpisodeReadout.entropies(scaledLogits: kept.logits, logSoftmax: kept.logSoftmax)
            #expect(read.map(\.bitPattern) == EpisodeReadout.entropies(scaledLogits: kept.logits).map(\.bitPattern))
        }
    }
}
