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
            let fastRight = MatrixKernelCheck.multiplyTransposedRight(g, w, m: m, n: n, k: k, initial: initial,
                                                                      kernel: .fast)
            let plainRight = MatrixKernelCheck.multiplyTransposedRight(g, w, m: m, n: n, k: k, initial: initial,
                                                                       kernel: .reference)
            #expect(bitPatterns(fastRight) == bitPatterns(plainRight))
            let start = random.floats(k * n, -1, 1)
            let fastLeft = MatrixKernelCheck.multiplyTransposedLeft(a, g, m: m, k: k, n: n, initial: start,
                                                                    kernel: .fast)
            #expect(bitPatterns(fastLeft)
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

    @Test("the Adam lanes of every kernel that has them, on special gradients and every tail length")
    func adamLanes() {
        let special: [Float] = [0, -0, 1e-30, -1e-30, 1e-5, -1e-5, 0.5, -3, 9, 1e30, -1e30,
                                .leastNonzeroMagnitude, -.leastNormalMagnitude]
        var random = SplitMix64(seed: 907)
        var checked = 0
        for kernel in MatrixKernel.allCases where kernel.isAvailable {
            for length in Array(1...35) + [special.count] {
                // Every third gradient a special value, the others random.
                var gradient = random.floats(length, -2, 2)
                for i in stride(from: 0, to: length, by: 3) { gradient[i] = special[(i * 5 + length) % special.count] }
                let (m0, v0, p0) = (random.floats(length, -1, 1), random.floats(length, 0, 1),
                                    random.floats(length, -1, 1))
                let constants: [Float] = [length % 2 == 0 ? 1 : 0.37, 0.9, 0.999, 1e-8, 3e-3, 0.271, 0.00299]
                var (m, v, p) = (m0, v0, p0)
                guard Adam.laneStep(gradient: gradient, first: &m, second: &v, values: &p, constants: constants,
                                    kernel: kernel) else { break }
                var (em, ev, ep) = (m0, v0, p0)
                let (scale, b1, b2, eps, lr, c1, c2) = (constants[0], constants[1], constants[2], constants[3],
                                                         constants[4], constants[5], constants[6])
                for i in 0..<length {
                    let g = gradient[i] * scale
                    em[i] = b1 * em[i] + (1 - b1) * g
                    ev[i] = b2 * ev[i] + (1 - b2) * g * g
                    ep[i] -= lr * (em[i] / c1) / ((ev[i] / c2).squareRoot() + eps)
                }
                #expect(bitPatterns(m) == bitPatterns(em) && bitPatterns(v) == bitPatterns(ev),
                        "\(kernel) moments, \(length)")
                #expect(bitPatterns(p) == bitPatterns(ep), "\(kernel) values, \(length)")
                checked += 1
            }
        }
        // Where the processor has AVX2 or AVX-512 (x86-64 here), their lanes must have been checked.
        #expect(checked > 0 || !MatrixKernel.allCases.contains { [.avx2, .avx512].contains($0) && $0.isAvailable })
    }
}
