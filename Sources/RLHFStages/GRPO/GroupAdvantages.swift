/// GRPO's advantage (Shao et al., 2024, as TRL 1.16 computes it): the group is the baseline.
///
///   A_i = (r_i - mean of r over i's group) / (std + 1e-4)
///
/// with std Bessel-corrected over the group (`scale_rewards group`), over the whole batch
/// (`batch`), or no division at all (`none`). There is no critic: one number per completion,
/// and every token of the completion carries it.
public enum GroupAdvantages {
    /// The advantages of `rewards`, in groups of `groupSize` consecutive completions.
    /// - Returns: each completion's breakdown, each group's mean and std, and TRL's
    ///   frac_reward_zero_std: the share of completions whose std (the one scaling their
    ///   advantage; the group's for none) is 0, so their advantage is 0 and they give no gradient.
    public static func compute(rewards: [Double], groupSize: Int, scaling: GRPOConfig.ScaleRewards)
        -> (breakdowns: [AdvantageBreakdown], groups: [GroupSummary], fracRewardZeroStd: Double) {
        precondition(groupSize >= 1 && rewards.count % groupSize == 0,
                     "\(rewards.count) rewards do not make groups of \(groupSize)")
        let groups = GroupBatch.summaries(rewards, size: groupSize)
        let batchStd = GroupBatch.meanAndStd(rewards).std
        var zeroStd = 0
        let breakdowns = rewards.enumerated().map { index, reward -> AdvantageBreakdown in
            let group = groups[index / groupSize]
            // The std TRL compares with 0: the batch's for "batch", else the group's.
            let std = scaling == .batch ? batchStd : group.std
            if abs(std) <= 1e-8 { zeroStd += 1 }
            let scale = scaling == .none ? 1 : std + 1e-4
            return AdvantageBreakdown(score: reward, klPenalty: 0, baseline: group.mean, scale: scale,
                                      advantage: (reward - group.mean) / scale)
        }
        return (breakdowns, groups, Double(zeroStd) / Double(max(rewards.count, 1)))
    }
}
