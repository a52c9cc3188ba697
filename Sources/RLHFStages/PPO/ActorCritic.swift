import RLHFEngine

/// The policy and its critic: one GPT-2 backbone with two read-outs, as TRL's
/// `AutoModelForCausalLMWithValueHead`.
///
/// - the language-model head gives pi(a | s), the next-token distribution (the actor);
/// - the value head `v_head.summary` gives V(s), the expected return from state s (the critic).
/// The state s_t is the prompt plus the response tokens before a_t, and its outputs are
/// read at s_t's last token.
public final class ActorCritic {
    public let model: GPT2
    public let valueHead: ScalarHead

    public init(model: GPT2, valueHead: ScalarHead) {
        self.model = model
        self.valueHead = valueHead
    }

    /// A policy starting from `sft` (copied) with a freshly initialised value head.
    public convenience init(initialisedFrom sft: GPT2, random: inout RandomGenerator) {
        self.init(model: sft.copy(),
                  valueHead: RLHFCheckpoint.newValueHead(width: sft.config.embeddingWidth, random: &random))
    }

    public var parameters: [Tensor] { model.parameters + valueHead.parameters }

    /// Logits and values for a batch of rows: (B, T, V) and (B, T).
    public func forward(_ rows: [[Int]]) -> (logits: Tensor, values: Tensor) {
        let hidden = model.hiddenStates(rows)  // (B, T, C)
        return (model.logits(fromHidden: hidden), valueHead(hidden))
    }
}
