import Testing
import RLHFEngine

/// The faster paths of the PPO update (six-row matrix tiles, GELU's saved tanh, Adam
/// eight values at a time) against the plain per-element formulas, bit for bit.
@Suite("Update-path kernels match the plain formulas bit for bit")
struct UpdatePathKernelTests {
    @Test("row counts that mix six-, four- and one-row blocks")
    func sixRowBlocks() {
        var random = SplitMix64(seed: 903)
        for (m, k, n) in [(6, 3, 8), (10, 7, 9), (11, 5, 17), (12, 48, 62), (15, 2, 8), (192, 48, 62)] {
            let a = random.floats(m * k, -2, 2)
            let b = random.floats(k * n, -2, 2)
            #expect(bitPatterns(MatrixKernelCheck.multiply(a, b, m: m, k: k, n: n, kernel: .fast))
                    == bitPatterns(MatrixKernelCheck.multiply(a, b, m: m, k: k, n: n, kernel: .reference)))
            let initial = random.floats(m * k, -1, 1)
            let g = random.floats(m * n, -2, 2)
            let w = random.floats(k * n, -2, 2)
            #expect(bitPatterns(MatrixKernelCheck.multiplyTransposedRight(g, w, m: m, n: n, k: k, initial: initial, kernel: .fast))
                    == bitPatterns(MatrixKernelCheck.multiplyTransposedRight(g, w, m: m, n: n, k: k, initial: initial,
                                                                              kernel: .reference)))
            let start = random.floats(k * n, -1, 1)
            #expect(bitPatterns(MatrixKernelCheck.multiplyTransposedLeft(a, g, m: m, k: k, n: n, initial: start, kernel: .fast))
                    == bitPatterns(MatrixKernelCheck.multiplyTransposedLeft(a, g, m: m, k: k, n: n, initial: start,
                                                                             kernel: .reference)))
        }
    }

    @Test("GELU with a recorded graph: values and gradients as the scalar formulas give them")
    func geluSavedTanh() {
        var random = SplitMix64(seed: 904)
        // 8 * 3 + 5 values: the eight-lane loop and the scalar tail; some large and tiny ones.
        var values = random.floats(29, -6, 6)
        values[3] = 1e-5
        values[27] = -25
        let x = Tensor(shape: [29], data: values, requiresGrad: true)
        let y = x.gelu()
        y.sum().backward()
        #expect(bitPatterns(y.data) == bitPatterns(values.map(FastPortableMath.gelu)))
        #expect(bitPatterns(x.grad!) == bitPatterns(values.map { 1 * FastPortableMath.geluDerivative($0) }))
        let plain = GradientMode.withoutRecording { x.gelu() }
        #expect(bitPatterns(plain.data) == bitPatterns(y.data))
    }

    @Test("Adam's vectorised step equals the scalar update per value")
    func adamStep() {
        var random = SplitMix64(seed: 905)
        let initial = random.floats(21, -1, 1)
        let parameter = Tensor(shape: [21], data: initial, requiresGrad: true)
        let optimizer = Adam(parameters: [parameter], learningRate: 0.01, maxGradNorm: nil)
        var (first, second, values) = ([Float](repeating: 0, count: 21), [Float](repeating: 0, count: 21), initial)
        for step in 1...3 {
            let gradient = random.floats(21, -2, 2)
            parameter.grad = gradient
            optimizer.step()
            var power1 = 1.0, power2 = 1.0
            for _ in 0..<step { power1 *= Double(Float(0.9)); power2 *= Double(Float(0.999)) }
            let (c1, c2) = (Float(1 - power1), Float(1 - power2))
            let (b1, b2, lr, eps): (Float, Float, Float, Float) = (0.9, 0.999, 0.01, 1e-8)
            for i in 0..<21 {
                let g = gradient[i] * 1
                first[i] = b1 * first[i] + (1 - b1) * g
                second[i] = b2 * second[i] + (1 - b2) * g * g
                values[i] -= lr * (first[i] / c1) / ((second[i] / c2).squareRoot() + eps)
            }
            #expect(bitPatterns(parameter.data) == bitPatterns(values), "step \(step)")
        }
    }
}
