import RLHFEngine

/// The last action a_t of an episode, read through the same batched pass of policy, reference
/// and critic that rollouts use: its probability, log-probs, KL estimate and V(s_t).
public struct ActionReadout: Sendable, Equatable {
    /// pi(a_t | s_t) = exp(log p), logits / temperature.
    public let probability: Double
    public let logprob: Double
    public let refLogprob: Double
    /// The per-token KL estimate of `KLPenalty.perToken` under the estimator asked for.
    public let kl: Double
    /// V(s_t), the critic's value of the state the action was taken in.
    public let value: Double
}

extension RolloutCollector {
    /// The last token of `episode`'s response, read as a rollout's tokens are.
    public func readLastAction(_ episode: PromptResponse, estimator: PPOConfig.KLEstimator) -> ActionReadout {
        precondition(!episode.response.isEmpty, "readLastAction: the response has no action yet")
        let readout = read([episode])
        let t = episode.response.count - 1
        let logprob = readout.logprobs[0][t], refLogprob = readout.refLogprobs[0][t]
        let kl = KLPenalty.perToken(logprobs: [logprob], refLogprobs: [refLogprob], estimator: estimator)[0]
        return ActionReadout(probability: PortableMath.exp(logprob), logprob: logprob, refLogprob: refLogprob,
                             kl: kl, value: readout.values[0][t])
    }
}
