/// What one optimiser step of a PPO update did, token by token, so it can be shown
/// and recomputed outside.
public struct MinibatchRecord: Sendable, Equatable {
    public var epoch = 0
    public var minibatch = 0
    /// Which rollouts of the batch this minibatch holds, in order.
    public var rolloutIndices: [Int] = []
    /// Per rollout of the minibatch, per token: the quantities of the forward pass
    /// just before this step (with the parameters that the step then changed).
    public var newLogprobs: [[Double]] = []
    public var newValues: [[Double]] = []
    public var ratio: [[Double]] = []
    public var pgLossesUnclipped: [[Double]] = []
    public var pgLossesClipped: [[Double]] = []
    public var vfLossesUnclipped: [[Double]] = []
    public var vfLossesClipped: [[Double]] = []
    public var entropy: [[Double]] = []
    public var pgLoss = 0.0
    public var vfLoss = 0.0
    public var loss = 0.0
    public var clipfrac = 0.0
    public var vfClipfrac = 0.0
    public var approxkl = 0.0
    public var entropyMean = 0.0
    public var ratioMean = 0.0
    public var gradNorm = 0.0

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

extension MinibatchRecord {
    /// An empty record, to fill in (a trace's reader does; the trainer uses the memberwise initialiser).
    public static let empty = MinibatchRecord()
}
