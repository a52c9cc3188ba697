/// Elementwise functions and their derivatives.
///
/// Each is a small `UnaryFunction` / `BinaryFunction` type so the loops in
/// Arithmetic.swift are specialised for it. exp and tanh go through `FastPortableMath`,
/// which gives the same bits as `PortableMath`.
struct ExpFunction: UnaryFunction {
    @inline(__always) func value(_ x: Float) -> Float { PortableMath.exp(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { y }
}

struct LogFunction: UnaryFunction {
    @inline(__always) func value(_ x: Float) -> Float { PortableMath.log(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { 1 / x }
}

struct SquareFunction: UnaryFunction {
    @inline(__always) func value(_ x: Float) -> Float { x * x }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { 2 * x }
}

struct AbsFunction: UnaryFunction {
    @inline(__always) func value(_ x: Float) -> Float { Swift.abs(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}

struct ClampFunction: UnaryFunction {
    let lower: Float, upper: Float
    @inline(__always) func value(_ x: Float) -> Float { Swift.min(Swift.max(x, lower), upper) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { (x >= lower && x <= upper) ? 1 : 0 }
}

struct GeluFunction: UnaryFunction {
    @inline(__always) func value(_ x: Float) -> Float { FastPortableMath.gelu(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { FastPortableMath.geluDerivative(x) }
}

struct LogSigmoidFunction: UnaryFunction {
    @inline(__always) func value(_ x: Float) -> Float {
        Swift.min(x, 0) - Float(PortableMath.log(1 + PortableMath.exp(-Double(Swift.abs(x)))))
    }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { Tensor.sigmoidValue(-x) }
}

struct SigmoidFunction: UnaryFunction {
    @inline(__always) func value(_ x: Float) -> Float { Tensor.sigmoidValue(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { y * (1 - y) }
}

enum MinimumFunction: BinaryFunction {
    @inline(__always) static func value(_ x: Float, _ y: Float) -> Float { Swift.min(x, y) }
    @inline(__always) static func partials(_ x: Float, _ y: Float) -> (Float, Float) {
        x < y ? (1, 0) : (x > y ? (0, 1) : (0.5, 0.5))
    }
}

enum MaximumFunction: BinaryFunction {
    @inline(__always) static func value(_ x: Float, _ y: Float) -> Float { Swift.max(x, y) }
    @inline(__always) static func partials(_ x: Float, _ y: Float) -> (Float, Float) {
        x > y ? (1, 0) : (x < y ? (0, 1) : (0.5, 0.5))
    }
}

extension Tensor {
    /// e^x; d/dx = e^x.
    public func exp() -> Tensor {
        unary(ExpFunction())
    }

    /// ln x; d/dx = 1/x.
    public func log() -> Tensor {
        unary(LogFunction())
    }

    /// x^2; d/dx = 2x.
    public func square() -> Tensor {
        unary(SquareFunction())
    }

    /// |x|; d/dx = sign(x), taken as 0 at 0.
    public func abs() -> Tensor {
        unary(AbsFunction())
    }

    /// Clamps to [lower, upper]. The gradient passes where lower <= x <= upper and
    /// is zero outside, as in PyTorch's `clamp`.
    public func clamped(min lower: Float, max upper: Float) -> Tensor {
        precondition(lower <= upper, "clamp: min \(lower) is above max \(upper)")
        return unary(ClampFunction(lower: lower, upper: upper))
    }

    /// GELU in its tanh form (GPT-2's `gelu_new`):
    /// gelu(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3);
    /// d/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
    public func gelu() -> Tensor {
        // The loops of `unary(GeluFunction())`, eight values at a time (same bits). When a
        // graph is recorded, each value's tanh is kept so the backward pass need not redo it.
        let total = count
        let keepTanh = GradientMode.isRecording && requiresGrad
        // The lanes write every value (and every tanh), so the buffers start uninitialised.
        var output = [Float](unsafeUninitializedCapacity: total) { _, initialised in initialised = total }
        let tanhCount = keepTanh ? total : 0
        var tanhValues = [Float](unsafeUninitializedCapacity: tanhCount) { _, initialised in initialised = tanhCount }
        data.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                tanhValues.withUnsafeMutableBufferPointer { t in
                    if total > 0 {
                        FastPortableMath.gelu(x.baseAddress!, y.baseAddress!, count: total,
                                              tanhOut: keepTanh ? t.baseAddress! : nil)
                    }
                }
            }
        }
        let savedTanh = tanhValues
        return Tensor(shape: shape, data: output, parents: [self]) { result in
            var gradient = [Float](unsafeUninitializedCapacity: total) { _, initialised in initialised = total }
            result.grad!.withUnsafeBufferPointer { upstream in
                self.data.withUnsafeBufferPointer { x in
                    savedTanh.withUnsafeBufferPointer { t in
                        gradient.withUnsafeMutableBufferPointer { dx in
                            if total > 0 {
                                FastPortableMath.geluBackward(x.baseAddress!, upstream.baseAddress!, dx.baseAddress!,
                                                              count: total,
                                                              tanhValues: t.count == total ? t.baseAddress! : nil)
                            }
                        }
                    }
                }
            }
            self.accumulateGrad(gradient)
        }
    }

    /// The GELU tanh form for one value (also used by the inference kernels).
    public static func geluValue(_ x: Float) -> Float {
        let c = Float(0.797_884_560_802_865_4)
        return 0.5 * x * (1 + PortableMath.tanh(c * (x + 0.044715 * x * x * x)))
    }

    /// log sigmoid(x) = min(x, 0) - log(1 + e^{-|x|}), stable for large |x|;
    /// d/dx = 1 - sigmoid(x) = sigmoid(-x).
    public func logSigmoid() -> Tensor {
        unary(LogSigmoidFunction())
    }

    /// sigmoid(x) = 1 / (1 + e^{-x}); d/dx = sigmoid(x) (1 - sigmoid(x)).
    public func sigmoid() -> Tensor {
        unary(SigmoidFunction())
    }

    static func sigmoidValue(_ x: Float) -> Float {
        Float(1 / (1 + PortableMath.exp(-Double(x))))
    }

    /// Elementwise minimum of two broadcast tensors. The gradient goes to the smaller
    /// input; on a tie it is split equally, as in PyTorch's `torch.minimum`.
    public func minimum(_ other: Tensor) -> Tensor {
        broadcastBinary(other, "minimum", MinimumFunction.self)
    }

    /// Elementwise maximum of two broadcast tensors. The gradient goes to the larger
    /// input; on a tie it is split equally, as in PyTorch's `torch.maximum`.
    public func maximum(_ other: Tensor) -> Tensor {
        broadcastBinary(other, "maximum", MaximumFunction.self)
    }
}
