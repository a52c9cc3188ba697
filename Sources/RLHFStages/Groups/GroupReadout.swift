import RLHFEngine

/// The policy's pass over a group batch for an optimiser step: the language-model head only
/// (there is no critic), the same computation as the rollouts' read-out, so that before any
/// step the new log-probs equal the old ones exactly.
enum GroupReadout {
    /// log pi(a_t|s_t) of every completion token, flattened (N), recorded for backward, and the
    /// scaled logits (N, V) for the entropy.
    static func logprobs(policy: ActorCritic, rollouts: [Rollout],
                         temperature: Double) -> (logprobs: Tensor, scaledLogits: Tensor) {
        let positions = PredictingPositions(rollouts.map(\.episode))
        // The policy on the real rows, the head on the predicting positions alone: the padded batch's bits.
        let read = EpisodeReadout.logprobs(of: policy.model, hidden: positions.hiddenStates(policy.model),
                                           responseTokens: positions.targets, temperature: temperature)  // (N), (N, V)
        return (read.logprobs, read.logits)
    }

    /// The mean of `values`, 0 when there are none.
    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }

    /// A sampling config for the rollout machinery: no missing-EOS rule (GRPO and RLOO score what they get).
    static func sampling(temperature: Double, topK: Int, maxCompletionLength: Int) -> PPOConfig {
        var config = PPOConfig()
        config.temperature = temperature
        config.topK = topK
        config.responseLength = maxCompletionLength
        config.missingEOSPenalty = nil
        return config
    }

    /// The metrics every group algorithm's iteration reports beside its own: reward (the mean score),
    /// completions/mean_length, completions/clipped_ratio (share without EOS) and the gold score.
    static func batchMetrics(_ batch: GroupBatch) -> [Metric] {
        let rollouts = batch.rollouts
        var metrics = [
            Metric(.reward, mean(rollouts.map(\.score))),
            Metric(.meanLength, mean(rollouts.map { Double($0.tokenCount) })),
            Metric(.clippedRatio, mean(rollouts.map { $0.endedWithEOS ? 0 : 1 })),
        ]
        let golds = rollouts.compactMap(\.goldScore)
        if golds.count == rollouts.count && !golds.isEmpty { metrics.append(Metric(.goldScore, mean(golds))) }
        return metrics
    }

    /// The means over an iteration's steps of each step metric, in the first step's order.
    static func stepMeans(_ steps: [GroupStepRecord]) -> [Metric] {
        guard let first = steps.first else { return [] }
        return first.metrics.map { metric in
            Metric(metric.name, mean(steps.compactMap { step in step.metrics.first { $0.name == metric.name }?.value }))
        }
    }
}
