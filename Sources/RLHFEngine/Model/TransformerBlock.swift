/// One GPT-2 block: pre-LayerNorm causal self-attention, then a pre-LayerNorm MLP,
/// each added back onto the residual stream.
///
///   x = x + attn(ln_1(x))
///   x = x + mlp(ln_2(x))
public final class TransformerBlock {
    public let config: GPT2Config
    public let attentionNorm: LayerNormParameters   // ln_1
    public let attentionInput: Affine               // attn.c_attn: (C, 3C), fused q, k, v
    public let attentionOutput: Affine              // attn.c_proj: (C, C)
    public let mlpNorm: LayerNormParameters         // ln_2
    public let mlpInput: Affine                     // mlp.c_fc: (C, 4C)
    public let mlpOutput: Affine                    // mlp.c_proj: (4C, C)

    public convenience init(config: GPT2Config, random: inout RandomGenerator) {
        self.init(config: config) { Float(random.nextNormal()) * $0 }
    }

    /// Weights `sample(standardDeviation)` each, layer by layer in the order of the fields.
    init(config: GPT2Config, sample: (Float) -> Float) {
        self.config = config
        let width = config.embeddingWidth
        let std = config.initializerRange
        // GPT-2 scales the weights of layers that write into the residual stream by
        // 1/sqrt(2 * layers), so the stream's variance does not grow with depth.
        let residualStd = std / (2 * Float(config.layerCount)).squareRoot()
        attentionNorm = LayerNormParameters(width: width, epsilon: config.layerNormEpsilon)
        attentionInput = Affine(inputWidth: width, outputWidth: 3 * width, standardDeviation: std, sample: sample)
        attentionOutput = Affine(inputWidth: width, outputWidth: width, standardDeviation: residualStd, sample: sample)
        mlpNorm = LayerNormParameters(width: width, epsilon: config.layerNormEpsilon)
        mlpInput = Affine(inputWidth: width, outputWidth: config.innerWidth, standardDeviation: std, sample: sample)
        mlpOutput = Affine(inputWidth: config.innerWidth, outputWidth: width, standardDeviation: residualStd,
                           sample: sample)
    }

    /// A deep copy of `other`'s parameters (fresh tensors, the same values).
    init(copying other: TransformerBlock) {
        config = other.config
        attentionNorm = LayerNormParameters(copying: other.attentionNorm)
        attentionInput = Affine(copying: other.attentionInput)
        attentionOutput = Affine(copying: other.attentionOutput)
        mlpNorm = LayerNormParameters(copying: other.mlpNorm)
        mlpInput = Affine(copying: other.mlpInput)
        mlpOutput = Affine(copying: other.mlpOutput)
    }

    /// (B, T, C) -> (B, T, C)
    public func callAsFunction(_ input: Tensor) -> Tensor {
        self(input, sequenceLengths: [Int](repeating: input.shape[1], count: input.shape[0]))
    }

    /// Sequences laid end to end, (N, C) -> (N, C), N the sum of `sequenceLengths` (or (B, T, C) as B
    /// sequences of T): attention stays within each sequence; every other op works row by row.
    /// Each residual add, x + branch(x), is taken by the projection that ends the branch (`adding:`, the bits
    /// of `x + projection(...)` with no tensor for the projection's own output).
    public func callAsFunction(_ input: Tensor, sequenceLengths: [Int]) -> Tensor {
        // x = x + attn(ln_1(x))
        let afterAttention = attention(attentionNorm(input), sequenceLengths: sequenceLengths, adding: input)
        // x = x + mlp(ln_2(x)), mlp(h) = c_proj(gelu(c_fc(h)))
        return mlpOutput(mlpInput(mlpNorm(afterAttention)).gelu(), adding: afterAttention)
    }

    /// Multi-head causal self-attention. Each position attends to itself and earlier
    /// positions only: softmax(q k^T / sqrt(d) + causal mask) v, per head. The heads are
    /// computed by one op, `causalSelfAttention`, which gives the same bits as splitting
    /// c_attn's output into heads and composing matmul, causalMasked and softmax.
    /// Returns residual + attention(input), the add done by c_proj (`Affine.callAsFunction(_:adding:)`).
    func attention(_ input: Tensor, sequenceLengths: [Int], adding residual: Tensor) -> Tensor {
        let fused = attentionInput(input)                                                             // (N, 3C)
        let mixed = fused.causalSelfAttention(heads: config.headCount, sequenceLengths: sequenceLengths)  // (N, C)
        return attentionOutput(mixed, adding: residual)
    }

    public func namedParameters(_ prefix: String) -> [(String, Tensor)] {
        attentionNorm.namedParameters("\(prefix).ln_1")
            + attentionInput.namedParameters("\(prefix).attn.c_attn")
            + attentionOutput.namedParameters("\(prefix).attn.c_proj")
            + mlpNorm.namedParameters("\(prefix).ln_2")
            + mlpInput.namedParameters("\(prefix).mlp.c_fc")
            + mlpOutput.namedParameters("\(prefix).mlp.c_proj")
    }
}
