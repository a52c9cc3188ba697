import Testing
import RLHFEngine

@Suite("Gradients: layerNorm, softmax, logSoftmax, causal mask")
struct NormalisationSoftmaxGradientTests {
    @Test("layerNorm: input, weight and bias", arguments: [[3, 5], [2, 3, 4]])
    func layerNorm(_ shape: [Int]) {
        var random = SplitMix64(seed: 51)
        let x = random.tensor(shape, -2, 2)
        let width = shape.last!
        let gamma = Tensor(shape: [width], data: random.floats(width, 0.5, 1.5), requiresGrad: true)
        let beta = random.tensor([width])
        expectGradientsMatch([x, gamma, beta]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
    }

    @Test("softmax")
    func softmax() {
        var random = SplitMix64(seed: 52)
        expectGradientsMatch([random.tensor([3, 5], -2, 2)]) { $0[0].softmax() }
    }

    @Test("logSoftmax")
    func logSoftmax() {
        var random = SplitMix64(seed: 53)
        expectGradientsMatch([random.tensor([2, 2, 5], -2, 2)]) { $0[0].logSoftmax() }
    }

    @Test("causalMasked followed by softmax")
    func causalSoftmax() {
        var random = SplitMix64(seed: 54)
        let scores = random.tensor([2, 2, 4, 4], -2, 2)
        let report = expectGradientsMatch([scores]) { $0[0].causalMasked().softmax() }
        // Entries above the diagonal (later positions) get exactly zero gradient.
        for block in 0..<4 {
            for i in 0..<4 {
                for j in (i + 1)..<4 where j > i {
                    #expect(report.analytic[0][block * 16 + i * 4 + j] == 0, "block \(block) (\(i), \(j))")
                }
            }
        }
    }
}
