import Testing
import RLHFEngine

@Suite("Gradients: reductions and losses")
struct ReductionLossGradientTests {
    @Test("sum")
    func sum() {
        var random = SplitMix64(seed: 61)
        expectGradientsMatch([random.tensor([3, 4])]) { $0[0].sum() }
    }

    @Test("mean")
    func mean() {
        var random = SplitMix64(seed: 62)
        // Few elements, so 1/count stays above the vacuity threshold.
        expectGradientsMatch([random.tensor([2, 3])]) { $0[0].mean() }
    }

    @Test("sumLastAxis")
    func sumLastAxis() {
        var random = SplitMix64(seed: 63)
        expectGradientsMatch([random.tensor([2, 3, 4])]) { $0[0].sumLastAxis() }
    }

    @Test("meanLastAxis")
    func meanLastAxis() {
        var random = SplitMix64(seed: 64)
        expectGradientsMatch([random.tensor([2, 3, 4])]) { $0[0].meanLastAxis() }
    }

    @Test("maskedMean")
    func maskedMean() {
        var random = SplitMix64(seed: 65)
        let x = random.tensor([2, 4])
        let mask = Tensor(shape: [2, 4], data: [1, 0, 1, 1, 0, 0, 1, 0])
        let report = expectGradientsMatch([x]) { $0[0].maskedMean(mask) }
        for index in 0..<8 where mask.data[index] == 0 {
            #expect(report.analytic[0][index] == 0, "masked-out position \(index)")
        }
    }

    @Test("crossEntropy without a mask")
    func crossEntropy() {
        var random = SplitMix64(seed: 66)
        let logits = random.tensor([2, 3, 4], -2, 2)
        expectGradientsMatch([logits]) { $0[0].crossEntropy(targets: [0, 3, 1, 1, 2, 3]) }
    }

    @Test("crossEntropy with a mask")
    func crossEntropyMasked() {
        var random = SplitMix64(seed: 67)
        let logits = random.tensor([2, 3, 4], -2, 2)
        let mask: [Float] = [1, 0, 1, 0, 1, 1]
        let report = expectGradientsMatch([logits]) {
            $0[0].crossEntropy(targets: [0, 3, 1, 1, 2, 3], mask: mask)
        }
        // Rows 1 and 3 are masked out: no gradient reaches their logits.
        for row in [1, 3] {
            #expect(report.analytic[0][(row * 4)..<(row * 4 + 4)].allSatisfy { $0 == 0 }, "row \(row)")
        }
    }
}
