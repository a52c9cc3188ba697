import Testing
import RLHFEngine

@Suite("Gradients: elementwise functions")
struct ElementwiseGradientTests {
    @Test("exp")
    func exp() {
        var random = SplitMix64(seed: 21)
        expectGradientsMatch([random.tensor([3, 4], -2, 2)]) { $0[0].exp() }
    }

    @Test("log (positive inputs)")
    func log() {
        var random = SplitMix64(seed: 22)
        expectGradientsMatch([random.tensor([3, 4], 0.3, 3)]) { $0[0].log() }
    }

    @Test("square")
    func square() {
        var random = SplitMix64(seed: 23)
        expectGradientsMatch([random.tensor([3, 4], -2, 2)]) { $0[0].square() }
    }

    @Test("abs (away from 0)")
    func abs() {
        var random = SplitMix64(seed: 24)
        let x = Tensor(shape: [3, 4], data: random.signedFloats(12, magnitude: 0.1, 2), requiresGrad: true)
        #expect(x.data.contains { $0 < 0 } && x.data.contains { $0 > 0 })
        expectGradientsMatch([x]) { $0[0].abs() }
    }

    /// Values inside [-0.5, 1] and outside it on both sides, all at least 0.1 from an edge
    /// (ten times the finite-difference step), so the numeric side never straddles a kink.
    @Test("clamped (inside and outside the range)")
    func clamped() {
        let values: [Float] = [-2, -0.9, -0.4, -0.2, 0, 0.3, 0.75, 0.9, 1.1, 1.6, 3, -0.6]
        let x = Tensor(shape: [3, 4], data: values, requiresGrad: true)
        let report = expectGradientsMatch([x]) { $0[0].clamped(min: -0.5, max: 1) }
        // Outside the range the gradient is exactly zero; inside it is the weight.
        for (index, value) in values.enumerated() {
            let inside = value >= -0.5 && value <= 1
            #expect(report.analytic[0][index] == (inside ? report.outputWeights[index] : 0), "x = \(value)")
        }
    }

    @Test("gelu")
    func gelu() {
        var random = SplitMix64(seed: 25)
        expectGradientsMatch([random.tensor([4, 5], -3, 3)]) { $0[0].gelu() }
    }

    @Test("sigmoid")
    func sigmoid() {
        var random = SplitMix64(seed: 26)
        expectGradientsMatch([random.tensor([3, 4], -4, 4)]) { $0[0].sigmoid() }
    }

    @Test("logSigmoid (including large magnitudes)")
    func logSigmoid() {
        var random = SplitMix64(seed: 27)
        let x = Tensor(shape: [4, 4],
                       data: random.floats(12, -4, 4) + [-12, -7.5, 7.5, 12],
                       requiresGrad: true)
        expectGradientsMatch([x]) { $0[0].logSigmoid() }
    }

    @Test("minimum (no ties)", arguments: ShapePair.all)
    func minimum(_ shapes: ShapePair) {
        var random = SplitMix64(seed: 28)
        let (left, right) = Self.untiedPair(shapes, &random)
        expectGradientsMatch([left, right]) { $0[0].minimum($0[1]) }
    }

    @Test("maximum (no ties)", arguments: ShapePair.all)
    func maximum(_ shapes: ShapePair) {
        var random = SplitMix64(seed: 29)
        let (left, right) = Self.untiedPair(shapes, &random)
        expectGradientsMatch([left, right]) { $0[0].maximum($0[1]) }
    }

    /// PyTorch's torch.minimum / torch.maximum split the gradient of a tie equally.
    @Test("a tie in minimum/maximum splits the gradient 0.5/0.5")
    func tieSplitsGradient() {
        for useMaximum in [false, true] {
            let left = Tensor(shape: [4], data: [1, -2, 0.5, 3], requiresGrad: true)
            let right = Tensor(shape: [4], data: [1, -1, 0.5, 2], requiresGrad: true)
            let weights = Tensor(shape: [4], data: [1, 2, 3, 4])
            let combined = useMaximum ? left.maximum(right) : left.minimum(right)
            (combined * weights).sum().backward()
            // Positions 0 and 2 tie; 1 and 3 do not.
            let expectedLeft: [Float] = useMaximum ? [0.5, 0, 1.5, 4] : [0.5, 2, 1.5, 0]
            let expectedRight: [Float] = useMaximum ? [0.5, 2, 1.5, 0] : [0.5, 0, 1.5, 4]
            #expect(left.grad == expectedLeft, "maximum: \(useMaximum)")
            #expect(right.grad == expectedRight, "maximum: \(useMaximum)")
        }
    }

    /// Operands whose values differ by at least 0.2 everywhere they meet (twenty times
    /// the step), so no finite difference crosses a switch of the winner.
    static func untiedPair(_ shapes: ShapePair, _ random: inout SplitMix64) -> (Tensor, Tensor) {
        let leftCount = shapes.left.reduce(1, *)
        let rightCount = shapes.right.reduce(1, *)
        // Left values on a grid spaced 0.4 apart, right values offset by +-0.2 from the grid.
        // A single-value (scalar-shaped) side sits at 0.2, mid-range, so that it wins at
        // some positions and loses at others and both sides get a gradient.
        let left = leftCount == 1 ? [Float(0.2)]
            : (0..<leftCount).map { _ in Float(Int(random.unit() * 10) - 5) * 0.4 }
        let right = rightCount == 1 ? [Float(0.2)] : (0..<rightCount).map { _ in
            Float(Int(random.unit() * 10) - 5) * 0.4 + (random.next() & 1 == 0 ? 0.2 : -0.2)
        }
        return (Tensor(shape: shapes.left, data: left, requiresGrad: true),
                Tensor(shape: shapes.right, data: right, requiresGrad: true))
    }
}
