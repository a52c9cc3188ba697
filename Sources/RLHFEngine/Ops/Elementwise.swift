/// Elementwise functions and their derivatives.
extension Tensor {
    /// e^x; d/dx = e^x.
    public func exp() -> Tensor {
        unary({ PortableMath.exp($0) }, derivative: { _, y in y })
    }

    /// ln x; d/dx = 1/x.
    public func log() -> Tensor {
        unary({ PortableMath.log($0) }, derivative: { x, _ in 1 / x })
    }

    /// x^2; d/dx = 2x.
    public func square() -> Tensor {
        unary({ $0 * $0 }, derivative: { x, _ in 2 * x })
    }

    /// |x|; d/dx = sign(x), taken as 0 at 0.
    public func abs() -> Tensor {
        unary({ Swift.abs($0) }, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) })
    }

    /// Clamps to [lower, upper]. The gradient passes where lower <= x <= upper and
    /// is zero outside, as in PyTorch's `clamp`.
    public func clamped(min lower: Float, max upper: Float) -> Tensor {
        precondition(lower <= upper, "clamp: min \(lower) is above max \(upper)")
        return unary({ Swift.min(Swift.max($0, lower), upper) },
                     derivative: { x, _ in (x >= lower && x <= upper) ? 1 : 0 })
    }

    /// GELU in its tanh form (GPT-2's `gelu_new`):
    /// gelu(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3);
    /// d/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
    public func gelu() -> Tensor {
        unary({ Tensor.geluValue($0) }, derivative: { x, _ in
            let c = Float(0.797_884_560_802_865_4)  // sqrt(2/pi)
            let t = PortableMath.tanh(c * (x + 0.044715 * x * x * x))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
        })
    }

    /// The GELU tanh form for one value (also used by the inference kernels).
    public static func geluValue(_ x: Float) -> Float {
        let c = Float(0.797_884_560_802_865_4)
        return 0.5 * x * (1 + PortableMath.tanh(c * (x + 0.044715 * x * x * x)))
    }

    /// log sigmoid(x) = min(x, 0) - log(1 + e^{-|x|}), stable for large |x|;
    /// d/dx = 1 - sigmoid(x) = sigmoid(-x).
    public func logSigmoid() -> Tensor {
        unary({ x in
            Swift.min(x, 0) - Float(PortableMath.log(1 + PortableMath.exp(-Double(Swift.abs(x)))))
        }, derivative: { x, _ in Tensor.sigmoidValue(-x) })
    }

    /// sigmoid(x) = 1 / (1 + e^{-x}); d/dx = sigmoid(x) (1 - sigmoid(x)).
    public func sigmoid() -> Tensor {
        unary({ Tensor.sigmoidValue($0) }, derivative: { _, y in y * (1 - y) })
    }

    static func sigmoidValue(_ x: Float) -> Float {
        Float(1 / (1 + PortableMath.exp(-Double(x))))
    }

    /// Elementwise minimum of two broadcast tensors. The gradient goes to the smaller
    /// input; on a tie it is split equally, as in PyTorch's `torch.minimum`.
    public func minimum(_ other: Tensor) -> Tensor {
        broadcastBinary(other, "minimum", combine: { Swift.min($0, $1) }, partials: { x, y in
            x < y ? (1, 0) : (x > y ? (0, 1) : (0.5, 0.5))
        })
    }

    /// Elementwise maximum of two broadcast tensors. The gradient goes to the larger
    /// input; on a tie it is split equally, as in PyTorch's `torch.maximum`.
    public func maximum(_ other: Tensor) -> Tensor {
        broadcastBinary(other, "maximum", combine: { Swift.max($0, $1) }, partials: { x, y in
            x > y ? (1, 0) : (x < y ? (0, 1) : (0.5, 0.5))
        })
    }
}
