/// A scalar read-out of the last hidden state: s = h w^T (+ b), an nn.Linear(C, 1) with or
/// without bias, under the parameter names its checkpoint uses (for example `score.weight` of
/// `GPT2ForSequenceClassification`). The weight is stored (1, C), as PyTorch stores it.
public final class ScalarHead {
    public let weight: Tensor  // (1, C)
    public let bias: Tensor?   // (1) or none
    public let weightName: String
    public let biasName: String?

    public convenience init(width: Int, hasBias: Bool, weightName: String, biasName: String?,
                            standardDeviation: Float, random: inout RandomGenerator) {
        self.init(weight: (0..<width).map { _ in Float(random.nextNormal()) * standardDeviation }, hasBias: hasBias,
                  weightName: weightName, biasName: biasName)
    }

    /// A head with the weight `values` (C) and, with `hasBias`, a zero bias: nothing is drawn.
    init(weight values: [Float], hasBias: Bool, weightName: String, biasName: String?) {
        weight = Tensor(shape: [1, values.count], data: values, requiresGrad: true)
        bias = hasBias ? Tensor(zeros: [1], requiresGrad: true) : nil
        self.weightName = weightName
        self.biasName = biasName
    }

    /// The head of Hugging Face's `GPT2ForSequenceClassification` with one label: `score.weight`,
    /// no bias, initialised ~N(0, 0.02).
    public static func score(width: Int, random: inout RandomGenerator) -> ScalarHead {
        ScalarHead(width: width, hasBias: false, weightName: scoreWeightName, biasName: nil,
                   standardDeviation: 0.02, random: &random)
    }

    /// The `score` head with zeros, for values about to be loaded (nothing is drawn).
    public static func score(toBeLoaded width: Int) -> ScalarHead {
        ScalarHead(weight: [Float](repeating: 0, count: width), hasBias: false, weightName: scoreWeightName,
                   biasName: nil)
    }

    static let scoreWeightName = "score.weight"

    /// (B, T, C) -> (B, T): one scalar per position.
    public func callAsFunction(_ hidden: Tensor) -> Tensor {
        var output = hidden.matmul(weight.transposed(0, 1))  // (B, T, 1)
        if let bias { output = output + bias }
        return output.reshaped(Array(hidden.shape.dropLast()))
    }

    public func namedParameters() -> [(String, Tensor)] {
        var result = [(weightName, weight)]
        if let bias, let biasName { result.append((biasName, bias)) }
        return result
    }

    public var parameters: [Tensor] { namedParameters().map { $0.1 } }

    public func copy() -> ScalarHead {
        let twin = ScalarHead(weight: weight.data, hasBias: bias != nil, weightName: weightName, biasName: biasName)
        if let bias { twin.bias!.data = bias.data }
        return twin
    }
}
