/// What one optimiser step of a group algorithm did, unit by unit (a token for GRPO, a whole
/// completion for RLOO), so it can be shown and recomputed outside.
public struct GroupStepRecord: Sendable, Equatable {
    /// Which side of the clip range a unit's ratio left in the advantage's favour (its policy gradient is 0).
    public enum Clip: String, Sendable, Equatable {
        case none, low, high
    }

    /// One term of the loss: loss = sum over units of weight * term.
    public struct Unit: Sendable, Equatable {
        public let completion: Int
        /// The token's position in the completion; nil when the unit is the whole completion.
        public let token: Int?
        public let advantage: Double
        public let ratio: Double
        public let clip: Clip
        /// The policy part, -min(ratio A, clip(ratio) A), plus (GRPO) beta k3.
        public let term: Double
        /// The per-token k3 (times the ratio with use_bias_correction_kl); nil when not in the loss.
        public let kl: Double?
        public let weight: Double
    }

    /// 0-based index of the step among the num_iterations steps on this batch.
    public let index: Int
    public let units: [Unit]
    /// log pi(a_t|s_t) per completion and token, from the forward pass before this step.
    public let newLogprobs: [[Double]]
    public let loss: Double
    public let gradNorm: Double
    /// The step's metrics under TRL's names (kl, entropy, clip_ratio/*).
    public let metrics: [Metric]

    /// TRL's clip_ratio metrics: the shares of units clipped low, clipped high, and either (the region).
    public static func clipRatios(low: [Bool], high: [Bool]) -> (low: Double, high: Double, region: Double) {
        let count = Double(max(low.count, 1))
        let region = zip(low, high).filter { $0 || $1 }.count
        return (Double(low.filter { $0 }.count) / count, Double(high.filter { $0 }.count) / count,
                Double(region) / count)
    }
}

/// One iteration of a group algorithm: the generation batch, every optimiser step on it, its metrics.
public struct GroupIteration: Sendable, Equatable {
    public let batch: GroupBatch
    public let steps: [GroupStepRecord]
    /// log pi(a_t|s_t) of every batch token under the policy after the last step.
    public let logprobsAfter: [[Double]]
    public let metrics: [Metric]
}
