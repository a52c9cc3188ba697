import RLHFEngine

/// REINFORCE Leave-One-Out (Ahmadian et al., 2024) as TRL 1.16's RLOOTrainer: num_generations
/// completions per prompt, the sequence-level k1 KL subtracted from the reward, each completion's
/// baseline the mean of the others', one clipped ratio per completion, Adam on the policy only.
public final class RLOOTrainer: GroupTrainerCore<RLOOConfig>, ConfiguredGroupTrainer {
    public var name: String { "RLOO" }
    public var rewardIncludesKL: Bool { true }
    public var advantageFormula: String {
        "r'_i = r_i - beta * sum_t (log p_old - log p_ref); A_i = r'_i - mean of the other r'_j of the group"
            + (config.normalizeAdvantages ? ", then whitened over the batch" : "")
    }
    public var lossFormula: String {
        "ratio_i = exp(sum_t log p_new - sum_t log p_old); term_i = -min(ratio A, clip(ratio, "
            + "\(1 - config.shared.epsilon), \(1 + config.shared.upperEpsilon)) A); loss = mean_i term_i"
    }

    public func prepare(_ rollouts: [Rollout]) throws -> GroupBatch {
        try config.shared.validate()
        let kl = LeaveOneOut.sequenceKL(oldLogprobs: rollouts.map(\.logprobs), refLogprobs: rollouts.map(\.refLogprobs))
        let result = LeaveOneOut.compute(scores: rollouts.map(\.score), sequenceKL: kl,
                                         groupSize: config.shared.numGenerations,
                                         beta: config.shared.beta, normalize: config.normalizeAdvantages)
        return groupBatch(rollouts, breakdowns: result.breakdowns, groups: result.groups)
    }

    public func step(batch: GroupBatch, index: Int) -> GroupStepRecord {
        recordedStep(batch: batch, index: index) { newLogprobs, lengths in
            let terms = RLOOLoss.compute(newLogprobs: newLogprobs, oldLogprobs: batch.rollouts.flatMap(\.logprobs),
                                         advantages: batch.advantages, lengths: lengths, epsilon: config.shared.epsilon,
                                         epsilonHigh: config.shared.upperEpsilon)
            let weight = 1 / Double(max(lengths.count, 1))
            let units = lengths.indices.map { completion -> GroupStepRecord.Unit in
                let clip: GroupStepRecord.Clip = terms.clippedLow[completion] ? .low
                    : terms.clippedHigh[completion] ? .high : .none
                return .init(completion: completion, token: nil, advantage: batch.advantages[completion],
                             ratio: Double(terms.ratio.data[completion]), clip: clip,
                             term: Double(terms.perSequenceLoss.data[completion]), kl: nil, weight: weight)
            }
            // clip_ratio/* are sequence means: RLOO clips one ratio per completion.
            return GroupStepLoss(loss: terms.loss, units: units, clippedLow: terms.clippedLow,
                                 clippedHigh: terms.clippedHigh, kl: nil)
        }
    }

    /// TRL's RLOO metrics: reward (the mean score, before the KL), reward_std (the mean of the groups'
    /// stds of the score), frac_reward_zero_std, kl (the mean sequence k1), then the steps' means of
    /// entropy and clip_ratio/*, the loss, completions/*, and the gold score.
    public func finish(batch: GroupBatch, steps: [GroupStepRecord]) -> GroupIteration {
        let scoreGroups = GroupBatch.summaries(batch.rollouts.map(\.score), size: batch.groupSize)
        let zeroStd = Double(scoreGroups.filter(\.hasZeroStd).count) / Double(max(scoreGroups.count, 1))
        let sequenceKL = GroupReadout.mean(LeaveOneOut.sequenceKL(oldLogprobs: batch.rollouts.map(\.logprobs),
                                                                  refLogprobs: batch.rollouts.map(\.refLogprobs)))
        return iteration(batch: batch, steps: steps, batchMetrics: [
            Metric(.rewardStd, GroupReadout.mean(scoreGroups.map(\.std))),
            Metric(.fracRewardZeroStd, zeroStd), Metric(.kl, sequenceKL),
        ])
    }
}
