import Testing
import RLHFEngine

/// GradientNorm.fast against the chain it stands in for, bit for bit, and its proof's edges.
@Suite struct GradientNormTests {
    /// Gradient sets of 1 to 9 tensors, up to 3000 values, magnitudes from 1e-30 to 1e30, with zeros, -0 and
    /// whole blocks of equal values.
    static func randomGradients(_ random: inout SplitMix64) -> [[Float]] {
        (0..<(1 + Int(random.next() % 9))).map { _ in
            let count = Int(random.next() % 3000)
            let exponent = Int(random.next() % 61) - 30
            var scale: Float = 1
            for _ in 0..<abs(exponent) { scale = exponent < 0 ? scale / 10 : scale * 10 }
            return (0..<count).map { index in
                switch random.next() % 10 {
                case 0: 0
                case 1: -0.0
                case 2: index > 0 ? scale : -scale
                default: Float(Double(random.next() % 2_000_001) / 1_000_000 - 1) * scale
                }
            }
        }
    }

    @Test("fast equals the chain bit for bit on 2000 random gradient sets")
    func fastEqualsChain() {
        var random = SplitMix64(seed: 2026)
        var proven = 0
        for _ in 0..<2000 {
            let gradients = GradientNormTests.randomGradients(&random)
            let chain = GradientNorm.chained(gradients)
            #expect(GradientNorm.fast(gradients).bitPattern == chain.bitPattern)
            if let value = GradientNorm.provenFloat(gradients) {
                #expect(value.bitPattern == chain.bitPattern)
                proven += 1
            }
        }
        #expect(proven > 1900)  // the chain is needed only for empty, zero or near-midpoint sets
    }

    @Test("laneSum gives the portable loop's bits in every kernel's lanes")
    func laneSumKernels() {
        var random = SplitMix64(seed: 2027)
        for _ in 0..<300 {
            let gradients = GradientNormTests.randomGradients(&random)
            let portable = GradientNorm.laneSum(gradients, kernel: .portable)
            for kernel in MatrixKernel.available {
                #expect(GradientNorm.laneSum(gradients, kernel: kernel).bitPattern == portable.bitPattern, "\(kernel)")
            }
        }
    }

    @Test("a root next to a midpoint of two Floats is not proven, and the chain decides")
    func nearMidpointFallsBack() {
        for start: Float in [1, 3.7, 1234.5, 0.0071] {
            // f^2 plus 999 equal squares summing to about m^2 - f^2, m the midpoint above f.
            let midpoint = (Double(start) + Double(start.nextUp)) / 2
            let each = Float(((midpoint * midpoint - Double(start) * Double(start)) / 999).squareRoot())
            let gradients = [[start], [Float](repeating: each, count: 999)]
            #expect(GradientNorm.provenFloat(gradients) == nil, "\(start)")
            #expect(GradientNorm.fast(gradients).bitPattern == GradientNorm.chained(gradients).bitPattern)
        }
    }

    @Test("zero, non-finite and huge gradients take the chain, with its bits")
    func edgeCases() {
        let cases: [[[Float]]] = [[], [[]], [[0, -0.0]], [[.nan, 1]], [[.infinity]], [[3e38, 3e38]],
                                  [[1e-40, 1e-41]], [[1, .nan], [-.infinity]]]
        for gradients in cases {
            #expect(GradientNorm.provenFloat(gradients) == nil)
            #expect(GradientNorm.fast(gradients).bitPattern == GradientNorm.chained(gradients).bitPattern)
        }
    }

    @Test("certainFloat: a value of its own, a midpoint, and reach either side of one")
    func certainFloat() {
        let value: Float = 1.5
        let above = (Double(value) + Double(value.nextUp)) / 2
        #expect(GradientNorm.certainFloat(near: Double(value), relativeError: 1e-12) == value)
        #expect(GradientNorm.certainFloat(near: above, relativeError: 0) == nil)
        #expect(GradientNorm.certainFloat(near: above * (1 - 1e-12), relativeError: 2e-12) == nil)
        #expect(GradientNorm.certainFloat(near: above * (1 - 1e-12), relativeError: 5e-13) == value)
        #expect(GradientNorm.certainFloat(near: 0, relativeError: 0) == nil)
        #expect(GradientNorm.certainFloat(near: .infinity, relativeError: 0) == nil)
    }
}
