/// GPT-2: token and position embeddings, a stack of transformer blocks, a final
/// layer norm, and a language-model head tied to the token embedding.
///
/// Exactly the architecture of Hugging Face's `GPT2LMHeadModel` (no dropout), so
/// its parameters, saved under `namedParameters()`'s names, load there unchanged.
public final class GPT2 {
    public let config: GPT2Config
    public let tokenEmbedding: Tensor     // transformer.wte.weight (V, C)
    public let positionEmbedding: Tensor  // transformer.wpe.weight (P, C)
    public let blocks: [TransformerBlock]
    public let finalNorm: LayerNormParameters  // transformer.ln_f

    /// A freshly initialised model: weights ~ N(0, initializerRange), biases 0, norms 1 and 0.
    public convenience init(config: GPT2Config, random: inout RandomGenerator) {
        self.init(config: config) { Float(random.nextNormal()) * $0 }
    }

    /// A model of `config`'s shape whose weights are all 0 (biases 0, norms 1 and 0), for a
    /// loader that replaces every parameter: drawing weights only to overwrite them is wasted.
    public convenience init(toBeLoaded config: GPT2Config) {
        self.init(config: config) { _ in 0 }
    }

    /// Weights `sample(standardDeviation)` each: the token table, the position table, then
    /// the blocks in order.
    init(config: GPT2Config, sample: (Float) -> Float) {
        _ = WorkingMemory.configured
        self.config = config
        func normalTable(_ rows: Int) -> [Float] {
            (0..<(rows * config.embeddingWidth)).map { _ in sample(config.initializerRange) }
        }
        tokenEmbedding = Tensor(shape: [config.vocabularySize, config.embeddingWidth],
                                data: normalTable(config.vocabularySize), requiresGrad: true)
        positionEmbedding = Tensor(shape: [config.contextLength, config.embeddingWidth],
                                   data: normalTable(config.contextLength), requiresGrad: true)
        var made: [TransformerBlock] = []
        for _ in 0..<config.layerCount { made.append(TransformerBlock(config: config, sample: sample)) }
        blocks = made
        finalNorm = LayerNormParameters(width: config.embeddingWidth, epsilon: config.layerNormEpsilon)
    }

    /// The last hidden states (after the final layer norm) for a batch of equally long
    /// token rows: (B, T) ids -> (B, T, C). Causal attention means position t depends
    /// only on tokens 0...t, so rows may be right-padded freely (`hiddenStates(packed:)` gives rows of
    /// different lengths the same bits without computing any padding).
    public func hiddenStates(_ tokens: [[Int]]) -> Tensor {
        let batch = tokens.count
        let length = tokens.first?.count ?? 0
        precondition(batch > 0 && length > 0, "hiddenStates needs at least one non-empty row")
        precondition(tokens.allSatisfy { $0.count == length }, "hiddenStates: rows of different lengths")
        precondition(length <= config.contextLength,
                     "sequence of \(length) tokens exceeds the context of \(config.contextLength)")
        if !GradientMode.isRecording {
            // No graph is wanted: the inference path computes the same bits without one.
            return inferenceHiddenStates(tokens)
        }
        let tokenVectors = tokenEmbedding.embedding(tokens.flatMap { $0 }, shape: [batch, length])  // (B, T, C)
        let positionVectors = positionEmbedding.embedding(Array(0..<length), shape: [length])      // (T, C)
        var hidden = tokenVectors + positionVectors                                                 // (B, T, C)
        for block in blocks { hidden = block(hidden) }
        return finalNorm(hidden)
    }

    /// `hiddenStates` without an autodiff graph: each row fed through an `IncrementalDecoder`
    /// (`hiddenStates(ofRows:from:)` reading every position: rows of one length end to end are (B, T, C)).
    func inferenceHiddenStates(_ tokens: [[Int]]) -> Tensor {
        Tensor(shape: [tokens.count, tokens[0].count, config.embeddingWidth],
               data: hiddenStates(ofRows: tokens, from: [Int](repeating: 0, count: tokens.count)).data)
    }

    /// Next-token logits from hidden states, through the tied head: h wte^T.
    /// (B, T, C) -> (B, T, V)
    public func logits(fromHidden hidden: Tensor) -> Tensor {
        hidden.matmul(tokenEmbedding.transposed(0, 1))
    }

    /// Next-token logits for a batch of equally long rows: (B, T) -> (B, T, V).
    public func logits(_ tokens: [[Int]]) -> Tensor {
        logits(fromHidden: hiddenStates(tokens))
    }

    /// Every parameter under the name `GPT2LMHeadModel` gives it in Hugging Face
    /// (`lm_head.weight` is tied to `transformer.wte.weight` and not listed twice).
    public func namedParameters() -> [(String, Tensor)] {
        var result: [(String, Tensor)] = [
            ("transformer.wte.weight", tokenEmbedding),
            ("transformer.wpe.weight", positionEmbedding),
        ]
        for (index, block) in blocks.enumerated() { result += block.namedParameters("transformer.h.\(index)") }
        result += finalNorm.namedParameters("transformer.ln_f")
        return result
    }

    /// All parameters, in `namedParameters()` order.
    public var parameters: [Tensor] { namedParameters().map { $0.1 } }

    /// Number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// A deep copy of `other`: fresh parameter tensors holding the same values.
    init(copying other: GPT2) {
        _ = WorkingMemory.configured
        config = other.config
        tokenEmbedding = Tensor(shape: other.tokenEmbedding.shape, data: other.tokenEmbedding.data, requiresGrad: true)
        positionEmbedding = Tensor(shape: other.positionEmbedding.shape, data: other.positionEmbedding.data,
                                   requiresGrad: true)
        blocks = other.blocks.map { TransformerBlock(copying: $0) }
        finalNorm = LayerNormParameters(copying: other.finalNorm)
    }

    /// A deep copy with the same values (a frozen copy, or a starting point to train).
    public func copy() -> GPT2 {
        GPT2(copying: self)
    }
}
