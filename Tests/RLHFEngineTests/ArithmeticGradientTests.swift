import Testing
import RLHFEngine

/// The four broadcasting binary operators.
enum BinaryOperator: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    func apply(_ left: Tensor, _ right: Tensor) -> Tensor {
        switch self {
        case .add: left + right
        case .subtract: left - right
        case .multiply: left * right
        case .divide: left / right
        }
    }

    var testDescription: String { rawValue }
}

/// A pair of operand shapes covering a broadcasting pattern.
struct ShapePair: Sendable, CustomTestStringConvertible {
    let name: String
    let left: [Int]
    let right: [Int]

    var testDescription: String { "\(name) \(left) op \(right)" }

    static let all: [ShapePair] = [
        ShapePair(name: "same shape", left: [2, 3], right: [2, 3]),
        ShapePair(name: "bias", left: [4, 3], right: [3]),
        ShapePair(name: "bias on the left", left: [3], right: [4, 3]),
        ShapePair(name: "(B,1,C) with (B,T,1)", left: [2, 1, 3], right: [2, 4, 1]),
        ShapePair(name: "(B,T,C) with (B,T,1)", left: [2, 3, 4], right: [2, 3, 1]),
        ShapePair(name: "row with column", left: [1, 4], right: [3, 1]),
        ShapePair(name: "scalar-shaped right", left: [2, 3], right: []),
        ShapePair(name: "scalar-shaped left", left: [], right: [2, 3]),
    ]
}

@Suite("Gradients: arithmetic")
struct ArithmeticGradientTests {
    @Test("broadcasting binary operators", arguments: BinaryOperator.allCases, ShapePair.all)
    func binary(_ op: BinaryOperator, _ shapes: ShapePair) {
        var random = SplitMix64(seed: 11)
        let left = random.tensor(shapes.left, -2, 2)
        // Divisors are kept away from zero: magnitudes in [0.5, 2).
        let right = Tensor(shape: shapes.right,
                           data: random.signedFloats(shapes.right.reduce(1, *), magnitude: 0.5, 2),
                           requiresGrad: true)
        expectGradientsMatch([left, right]) { op.apply($0[0], $0[1]) }
    }

    @Test("a tensor combined with itself gets both terms")
    func selfProduct() {
        var random = SplitMix64(seed: 12)
        let x = random.tensor([3, 4], -2, 2)
        expectGradientsMatch([x]) { $0[0] * $0[0] + $0[0] }
    }

    @Test("tensor + scalar")
    func addScalar() {
        var random = SplitMix64(seed: 13)
        expectGradientsMatch([random.tensor([2, 5])]) { $0[0] + 0.75 }
    }

    @Test("tensor - scalar")
    func subtractScalar() {
        var random = SplitMix64(seed: 14)
        expectGradientsMatch([random.tensor([2, 5])]) { $0[0] - 1.25 }
    }

    @Test("tensor * scalar and scalar * tensor", arguments: [Float(-2.5), 0.3, 3])
    func multiplyScalar(_ factor: Float) {
        var random = SplitMix64(seed: 15)
        expectGradientsMatch([random.tensor([2, 5])]) { $0[0] * factor }
        expectGradientsMatch([random.tensor([3, 2])]) { factor * $0[0] }
    }

    @Test("unary minus")
    func negate() {
        var random = SplitMix64(seed: 16)
        expectGradientsMatch([random.tensor([3, 4])]) { -$0[0] }
    }
}
