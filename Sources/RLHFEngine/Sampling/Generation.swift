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
    public func nextTokenLogits(_ tokens: [Int]) -> [Float] {
        GradientMode.withoutRecording {
            let logits = self.logits([tokens])  // (1, T, V)
            let width = config.vocabularySize
            return Array(logits.data[(logits.count - width)...])
        }
    }

    /// Samples up to `maxNewTokens` tokens after `prompt`, stopping after EOS or at the
    /// context length.
    public func generate(prompt: [Int], maxNewTokens: Int, eosID: Int, sampler: Sampler,
                         random: inout RandomGenerator) -> Continuation {
        var tokens = prompt
        var generated: [Int] = []
        while generated.count < maxNewTokens && tokens.count < config.contextLength {
            let next = sampler.sample(logits: nextTokenLogits(tokens), random: &random)
            tokens.append(next)
            generated.append(next)
            if next == eosID { return Continuation(tokens: generated, endedWithEOS: true) }
        }
        return Continuation(tokens: generated, endedWithEOS: false)
    }
}
