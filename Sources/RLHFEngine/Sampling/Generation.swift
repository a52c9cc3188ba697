/// Sampling a continuation from a model, one token at a time.
public struct Continuation: Equatable, Sendable {
    /// The generated tokens, including the closing EOS when there is one.
    public let tokens: [Int]
    /// Whether generation stopped at EOS rather than at the length limit.
    public let endedWithEOS: Bool

    public init(tokens: [Int], endedWithEOS: Bool) {
        self.tokens = tokens
        self.endedWithEOS = endedWithEOS
    }
}

extension GPT2 {
    /// Next-token logits after `tokens` (the logits at the last position), with no graph.
    /// Computed by an `IncrementalDecoder`: the same bits as the last row of `logits([tokens])`.
    public func nextTokenLogits(_ tokens: [Int]) -> [Float] {
        precondition(!tokens.isEmpty, "hiddenStates needs at least one non-empty row")
        precondition(tokens.count <= config.contextLength,
                     "sequence of \(tokens.count) tokens exceeds the context of \(config.contextLength)")
        return IncrementalDecoder(model: self).append(tokens)
    }

    /// Samples up to `maxNewTokens` tokens after `prompt`, stopping after EOS or at the
    /// context length. The prompt is fed once and each sampled token extends a key/value
    /// cache, so every step costs one position; the logits of each step are the same bits
    /// as `nextTokenLogits` of the whole sequence so far. (`Generator` samples the same
    /// continuations many at a time, with one decoder and each prompt fed once.)
    public func generate(prompt: [Int], maxNewTokens: Int, eosID: Int, sampler: Sampler,
                         random: inout RandomGenerator) -> Continuation {
        var tokens = prompt
        var generated: [Int] = []
        let decoder = IncrementalDecoder(model: self)
        var pending = prompt
        while generated.count < maxNewTokens && tokens.count < config.contextLength {
            precondition(!pending.isEmpty, "hiddenStates needs at least one non-empty row")
            let next = sampler.sample(logits: decoder.append(pending), random: &random)
            tokens.append(next)
            generated.append(next)
            if next == eosID { return Continuation(tokens: generated, endedWithEOS: true) }
            pending = [next]
        }
        return Continuation(tokens: generated, endedWithEOS: false)
    }
}
