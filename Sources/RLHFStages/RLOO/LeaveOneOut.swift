/// RLOO's advantage (Ahmadian et al., 2024, as TRL 1.16 computes it): the KL enters the
/// reward at the sequence level, and each completion's baseline is the mean reward of the
/// other completions of its group.
///
///   kl_i       = sum_t (log pi_old(a_t) - log pi_ref(a_t))     (k1, summed over the completion)
///   r'_i       = r_i - beta kl_i
///   baseline_i = (sum_{j in group} r'_j - r'_i) / (k - 1)
///   A_i        = r'_i - baseline_i
///
/// With normalize_advantages the A_i are then whitened over the batch: (A - mean) / (std + 1e-4).
public enum LeaveOneOut {
    /// The sequence-level k1 KL of each completion.
    public static func sequenceKL(oldLogprobs: [[Double]], refLogprobs: [[Double]]) -> [Double] {
        zip(oldLogprobs, refLogprobs).map { old, ref in zip(old, ref).reduce(0) { $0 + ($1.0 - $1.1) } }
    }

    /// The breakdowns of completions in groups of `groupSize` consecutive ones (groupSize >= 2).
    public static func compute(scores: [Double], sequenceKL: [Double], groupSize: Int, beta: Double,
                               normalize: Bool) -> (breakdowns: [AdvantageBreakdown], groups: [GroupSummary]) {
        precondition(groupSize >= 2 && scores.count % groupSize == 0,
                     "leave-one-out needs groups of at least 2; \(scores.count) scores in groups of \(groupSize)")
        let rewards = zip(scores, sequenceKL).map { $0 - beta * $1 }
        let groupSums = stride(from: 0, to: rewards.count, by: groupSize).map {
            rewards[$0..<($0 + groupSize)].reduce(0, +)
        }
        let baselines = rewards.indices.map { (groupSums[$0 / groupSize] - rewards[$0]) / Double(groupSize - 1) }
        var advantages = zip(rewards, baselines).map { $0 - $1 }
        var scale = 1.0
        var shift = 0.0
        if normalize {
            let (mean, std) = GroupBatch.meanAndStd(advantages)
            shift = mean
            scale = std + 1e-4
            advantages = advantages.map { ($0 - mean) / scale }
        }
        let breakdowns = scores.indices.map { index in
            // With normalisation the baseline shown absorbs the batch mean: A = (r' - (b + mean)) / scale.
            AdvantageBreakdown(score: scores[index], klPenalty: beta * sequenceKL[index],
                               baseline: baselines[index] + shift, scale: scale, advantage: advantages[index])
        }
        return (breakdowns, GroupBatch.summaries(rewards, size: groupSize))
    }
}
