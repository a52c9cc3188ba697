/// What one optimiser step of a PPO update did, token by token, so it can be shown
/// and recomputed outside.
public struct MinibatchRecord: Sendable, Equatable {
    public let epoch: Int
    public let minibatch: Int
    /// Which rollouts of the batch this minibatch holds, in order.
    public let rolloutIndices: [Int]
    /// Per rollout of the minibatch, per token: the quantities of the forward pass
    /// just before this step (with the parameters that the step then changed).
    public let newLogprobs: [[Double]]
    public let newValues: [[Double]]
    public let ratio: [[Double]]
    public let pgLossesUnclipped: [[Double]]
    public let pgLossesClipped: [[Double]]
    public let vfLossesUnclipped: [[Double]]
    public let vfLossesClipped: [[Double]]
    public let entropy: [[Double]]
    public let pgLoss: Double
    public let vfLoss: Double
    public let loss: Double
    public let clipfrac: Double
    public let vfClipfrac: Double
    public let approxkl: Double
    public let entropyMean: Double
    public let ratioMean: Double
    public let gradNorm: Double

    /// Whether token t of the minibatch's rollout r had its policy term clipped.
    public func policyClipped(_ r: Int, _ t: Int) -> Bool { pgLossesClipped[r][t] > pgLossesUnclipped[r][t] }

    /// The per-token policy loss term max(-A ratio, -A clip(ratio)).
    public func policyTerm(_ r: Int, _ t: Int) -> Double { max(pgLossesUnclipped[r][t], pgLossesClipped[r][t]) }
}

/// One PPO iteration: the batch, every optimiser step of its update, and its metrics.
public struct PPOIteration: Sendable, Equatable {
    public let batch: RolloutBatch
    public let updates: [MinibatchRecord]
    /// log pi(a_t|s_t) of every batch token under the policy after the whole update.
    public let logprobsAfter: [[Double]]
    public let metrics: [Metric]
}
