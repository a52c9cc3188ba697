import Testing
import RLHFEngine

/// The bit patterns of some floats, for exact comparisons (which also tell +0 from -0).
func bitPatterns(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

@Suite("Fast kernels match the reference kernels bit for bit")
struct FastKernelTests {
    /// Odd sizes: below, at and above the 4-row and 8-column blocks, and empty sums.
    static let sizes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 7, 9), (3, 5, 7), (4, 8, 8), (5, 3, 17), (7, 13, 6), (9, 1, 33),
        (13, 17, 11), (17, 33, 62), (2, 0, 5), (6, 48, 144), (25, 12, 25),
    ]

    @Test("multiply, fresh and accumulating, on odd sizes")
    func multiply() {
        var random = SplitMix64(seed: 901)
        for (m, k, n) in FastKernelTests.sizes {
            let a = random.floats(m * k, -2, 2)
            let b = random.floats(k * n, -2, 2)
            let fresh = MatrixKernelCheck.multiply(a, b, m: m, k: k, n: n, kernel: .fast)
            let reference = MatrixKernelCheck.multiply(a, b, m: m, k: k, n: n, kernel: .reference)
            #expect(bitPatterns(fresh) == bitPatterns(reference), "multiply \(m)x\(k)x\(n)")
            let initial = random.floats(m * n, -1, 1)
            let accumulated = MatrixKernelCheck.multiply(a, b, m: m, k: k, n: n, initial: initial, kernel: .fast)
            let referenceAccumulated = MatrixKernelCheck.multiply(a, b, m: m, k: k, n: n, initial: initial,
                                                                  kernel: .reference)
            #expect(bitPatterns(accumulated) == bitPatterns(referenceAccumulated), "accumulate \(m)x\(k)x\(n)")
        }
    }

    @Test("A B^T and A^T B on odd sizes, added to existing values")
    func transposed() {
        var random = SplitMix64(seed: 902)
        for (m, k, n) in FastKernelTests.sizes {
            // C (m x k) += A (m x n) B^T, B stored (k x n).
            let a = random.floats(m * n, -2, 2)
            let b = random.floats(k * n, -2, 2)
            let initial = random.floats(m * k, -1, 1)
            let fast = MatrixKernelCheck.multiplyTransposedRight(a, b, m: m, n: n, k: k, initial: initial, kernel: .fast)
            let reference = MatrixKernelCheck.multiplyTransposedRight(a, b, m: m, n: n, k: k, initial: initial,
                                                                      kernel: .reference)
            #expect(bitPatterns(fast) == bitPatterns(reference), "A B^T \(m)x\(n)x\(k)")
            // C (k x n) += A^T B, A stored (m x k), B stored (m x n).
            let left = random.floats(m * k, -2, 2)
            let right = random.floats(m * n, -2, 2)
            let start = random.floats(k * n, -1, 1)
            let fastLeft = MatrixKernelCheck.multiplyTransposedLeft(left, right, m: m, k: k, n: n, initial: start,
                                                                    kernel: .fast)
            let referenceLeft = MatrixKernelCheck.multiplyTransposedLeft(left, right, m: m, k: k, n: n, initial: start,
                                                                         kernel: .reference)
            #expect(bitPatterns(fastLeft) == bitPatterns(referenceLeft), "A^T B \(m)x\(k)x\(n)")
        }
    }

    @Test("signed zeros and exact cancellations come out as in the reference")
    func zeros() {
        // Products of -0 and +0, and terms that cancel exactly: the sum's sign of zero
        // depends on the order and on starting from +0.
        let a: [Float] = [-0.0, 0, 1, -1, 2, -2, 0, -0.0, 3]
        let b: [Float] = [0, -0.0, 1, 1, -1, -1, -0.0, 0, 0.5]
        for (m, k, n) in [(3, 3, 1), (1, 3, 3), (1, 9, 1), (9, 1, 1)] {
            let (left, right) = (Array(a.prefix(m * k)), Array(b.prefix(k * n)))
            let fast = MatrixKernelCheck.multiply(left, right, m: m, k: k, n: n, kernel: .fast)
            let reference = MatrixKernelCheck.multiply(left, right, m: m, k: k, n: n, kernel: .reference)
            #expect(bitPatterns(fast) == bitPatterns(reference), "\(m)x\(k)x\(n)")
        }
    }
}

@Suite("FastPortableMath gives PortableMath's bits")
struct FastPortableMathTests {
    /// exp written the plain way, with the library's rounding and exponent scaling:
    /// `PortableMath.exp` forms k and 2^k without library calls and must give these bits.
    static func plainExp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.79 { return .infinity }
        if x < -745.2 { return 0 }
        let k = (x * 1.442_695_040_888_963_4).rounded(.toNearestOrEven)
        let r = x - k * 0.693_147_180_559_945_3
        var p = 1.0 / 3_628_800.0
        for coefficient in [1.0 / 362_880.0, 1.0 / 40_320.0, 1.0 / 5_040.0, 1.0 / 720.0, 1.0 / 120.0,
                            1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
            p = p * r + coefficient
        }
        let half = Int(k) / 2
        return p * Double(sign: .plus, exponent: half, significand: 1)
                 * Double(sign: .plus, exponent: Int(k) - half, significand: 1)
    }

    /// tanh on top of `plainExp`, as `PortableMath.tanh` is on top of its exp.
    static func plainTanh(_ x: Double) -> Double {
        if x.isNaN { return x }
        let magnitude = Swift.abs(x)
        if magnitude > 20 { return x > 0 ? 1 : -1 }
        if magnitude < 1e-4 { return x - x * x * x / 3 }
        let e = plainExp(-2 * magnitude)
        let t = (1 - e) / (1 + e)
        return x < 0 ? -t : t
    }

    /// Special values, range limits and the edges of each branch.
    static let edges: [Double] = [
        0, -0.0, 1, -1, 0.5, -0.5, 1e-300, -1e-300, .leastNonzeroMagnitude, 1e-4, -1e-4, 0.99e-4, 1.01e-4, 20, -20, 20.000001,
        -20.000001, 19.99999, 709.79, 709.8, -745.2, -745.3, 700, -700, 0.346_573_590_279_972_6, -0.346_573_590_279_972_6,
        .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
    ]

    static func same(_ x: Double, _ y: Double) -> Bool {
        x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
    }

    @Test("exp and tanh on edges and random doubles")
    func doubles() {
        var random = SplitMix64(seed: 903)
        var values = FastPortableMathTests.edges
        for _ in 0..<20_000 { values.append(Double(random.float(-750, 750))) }
        for _ in 0..<20_000 { values.append(Double(random.float(-25, 25))) }
        for _ in 0..<5_000 { values.append(Double(random.float(-1e-3, 1e-3))) }
        // Halfway points of the range reduction x / ln2 = k + 1/2.
        for k in -20...20 { values.append((Double(k) + 0.5) * 0.693_147_180_559_945_3) }
        for x in values {
            #expect(FastPortableMathTests.same(PortableMath.exp(x), FastPortableMathTests.plainExp(x)), "exp(\(x))")
            #expect(FastPortableMathTests.same(PortableMath.tanh(x), FastPortableMathTests.plainTanh(x)), "tanh(\(x))")
        }
    }

    @Test("GELU: the vectorised op and the scalar form against geluValue, values and gradients")
    func gelu() {
        var random = SplitMix64(seed: 904)
        var values: [Float] = [0, -0.0, 1e-5, -1e-5, 3e-4, -3e-4, 1, -1, 10, -10, 30, -30, 1e30, -1e30,
                               .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        values += random.floats(4_000, -8, 8)
        values += random.floats(1_003, -0.01, 0.01)  // an odd count: the scalar tail runs too
        let x = Tensor(shape: [values.count], data: values, requiresGrad: true)
        let y = x.gelu()
        let expected = values.map(Tensor.geluValue)
        for index in values.indices {
            let (got, want) = (y.data[index], expected[index])
            #expect(got.bitPattern == want.bitPattern || (got.isNaN && want.isNaN), "gelu(\(values[index]))")
            #expect(FastPortableMath.gelu(values[index]).bitPattern == want.bitPattern || want.isNaN)
        }
        // Backward: with upstream w, dx = w * gelu'(x), gelu' written as the original op wrote it.
        let weights = random.floats(values.count, -2, 2)
        (y * Tensor(shape: [values.count], data: weights)).sum().backward()
        for index in values.indices where values[index].isFinite && Swift.abs(values[index]) < 1e10 {
            let v = values[index]
            let c = Float(0.797_884_560_802_865_4)
            let t = PortableMath.tanh(c * (v + 0.044715 * v * v * v))
            let slope: Float = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v)
            let want = weights[index] * slope
            #expect(x.grad![index].bitPattern == want.bitPattern, "gelu'(\(v))")
        }
    }
}
