/// The two parameterised building blocks of GPT-2: an affine map and a layer norm.

/// y = x W + b with W stored (in, out), the layout of GPT-2's `Conv1D`
/// (so the weight is saved exactly as Hugging Face stores it).
public final class Affine {
    public let weight: Tensor  // (in, out)
    public let bias: Tensor    // (out)

    public convenience init(inputWidth: Int, outputWidth: Int, standardDeviation: Float,
                            random: inout RandomGenerator) {
        self.init(inputWidth: inputWidth, outputWidth: outputWidth, standardDeviation: standardDeviation) {
            Float(random.nextNormal()) * $0
        }
    }

    /// Weights `sample(standardDeviation)` each, drawn in storage order; biases 0.
    init(inputWidth: Int, outputWidth: Int, standardDeviation: Float, sample: (Float) -> Float) {
        var values = [Float](repeating: 0, count: inputWidth * outputWidth)
        for index in values.indices { values[index] = sample(standardDeviation) }
        weight = Tensor(shape: [inputWidth, outputWidth], data: values, requiresGrad: true)
        bias = Tensor(zeros: [outputWidth], requiresGrad: true)
    }

    /// A deep copy of `other`'s parameters (fresh tensors, the same values).
    init(copying other: Affine) {
        weight = Tensor(shape: other.weight.shape, data: other.weight.data, requiresGrad: true)
        bias = Tensor(shape: other.bias.shape, data: other.bias.data, requiresGrad: true)
    }

    /// (..., in) -> (..., out): x W + b, one op (`Tensor.affine`, the bits of `x.matmul(W) + b`).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.affine(weight: weight, bias: bias)
    }

    /// residual + (x W + b) in the same op, the residual connection added in place: the bits of
    /// `residual + self(input)` without a tensor for `self(input)`.
    public func callAsFunction(_ input: Tensor, adding residual: Tensor) -> Tensor {
        input.affine(weight: weight, bias: bias, adding: residual)
    }

    /// The parameters under Hugging Face names, e.g. `prefix.weight`, `prefix.bias`.
    public func namedParameters(_ prefix: String) -> [(String, Tensor)] {
        [("\(prefix).weight", weight), ("\(prefix).bias", bias)]
    }
}

/// Layer norm's learned scale (`weight`, initially 1) and shift (`bias`, initially 0).
public final class LayerNormParameters {
    public let weight: Tensor  // (C)
    public let bias: Tensor    // (C)
    public let epsilon: Float

    public init(width: Int, epsilon: Float) {
        weight = Tensor(shape: [width], data: [Float](repeating: 1, count: width), requiresGrad: true)
        bias = Tensor(zeros: [width], requiresGrad: true)
        self.epsilon = epsilon
    }

    /// A deep copy of `other`'s parameters (fresh tensors, the same values).
    init(copying other: LayerNormParameters) {
        weight = Tensor(shape: other.weight.shape, data: other.weight.data, requiresGrad: true)
        bias = Tensor(shape: other.bias.shape, data: other.bias.data, requiresGrad: true)
        epsilon = other.epsilon
    }

    /// (..., C) -> (..., C)
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.layerNorm(weight: weight, bias: bias, epsilon: epsilon)
    }

    public func namedParameters(_ prefix: String) -> [(String, Tensor)] {
        [("\(prefix).weight", weight), ("\(prefix).bias", bias)]
    }
}
