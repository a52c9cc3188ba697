import RLHFEngine

/// Group Relative Policy Optimisation (Shao et al., 2024) as TRL 1.16's GRPOTrainer: num_generations
/// completions per prompt, the group's mean as the baseline (no critic), the per-token clipped loss
/// with the k3 KL in it, num_iterations Adam steps on the policy per generation batch.
public final class GRPOTrainer: GroupTrainerCore<GRPOConfig>, ConfiguredGroupTrainer {
    public var name: String { "GRPO" }
    public var rewardIncludesKL: Bool { false }
    public var advantageFormula: String {
        switch config.scaleRewards {
        case .group: "A_i = (r_i - group mean) / (group std + 1e-4)"
        case .batch: "A_i = (r_i - group mean) / (batch std + 1e-4)"
        case .none: "A_i = r_i - group mean"
        }
    }
    public var lossFormula: String {
        let kl = config.shared.beta == 0 ? "" : " + beta k3" + (config.useBiasCorrectionKL ? " * ratio" : "")
        let weight = switch config.lossType {
        case .grpo: "1 / (B * L_i)"
        case .bnpo, .dapo: "1 / tokens of the batch"
        case .drGRPO: "1 / (B * max_completion_length)"
        }
        let shared = config.shared
        return "term_t = -min(ratio A, clip(ratio, \(1 - shared.epsilon), \(1 + shared.upperEpsilon)) A)\(kl); "
            + "loss = sum_t weight_t term_t, weight (\(config.lossType.rawValue)) = \(weight)"
    }

    public func prepare(_ rollouts: [Rollout]) throws -> GroupBatch {
        try config.shared.validate()
        let result = GroupAdvantages.compute(rewards: rollouts.map(\.score), groupSize: config.shared.numGenerations,
                                             scaling: config.scaleRewards)
        return groupBatch(rollouts, breakdowns: result.breakdowns, groups: result.groups)
    }

    public func step(batch: GroupBatch, index: Int) -> GroupStepRecord {
        recordedStep(batch: batch, index: index) { newLogprobs, lengths in
            let rollouts = batch.rollouts
            let terms = GRPOLoss.compute(newLogprobs: newLogprobs, oldLogprobs: rollouts.flatMap(\.logprobs),
                                         refLogprobs: rollouts.flatMap(\.refLogprobs), advantages: batch.advantages,
                                         lengths: lengths, config: config, generationTokens: batch.tokenCount)
            let kl = terms.kl?.data.map(Double.init)
            var units: [GroupStepRecord.Unit] = []
            var flat = 0
            for (completion, length) in lengths.enumerated() {
                for token in 0..<length {
                    let clip: GroupStepRecord.Clip = terms.clippedLow[flat] ? .low
                        : terms.clippedHigh[flat] ? .high : .none
                    units.append(.init(completion: completion, token: token, advantage: batch.advantages[completion],
                                       ratio: Double(terms.ratio.data[flat]), clip: clip,
                                       term: Double(terms.perTokenLoss.data[flat]), kl: kl?[flat],
                                       weight: terms.weights[flat]))
                    flat += 1
                }
            }
            return GroupStepLoss(loss: terms.loss, units: units, clippedLow: terms.clippedLow,
                                 clippedHigh: terms.clippedHigh, kl: kl)
        }
    }

    /// TRL's GRPO metrics: reward, reward_std (the mean of the stds the advantages were scaled by:
    /// each group's, or the batch's), frac_reward_zero_std, then the steps' means of kl, entropy and
    /// clip_ratio/*, the loss, completions/*, and the gold score.
    public func finish(batch: GroupBatch, steps: [GroupStepRecord]) -> GroupIteration {
        let scores = batch.rollouts.map(\.score)
        let result = GroupAdvantages.compute(rewards: scores, groupSize: batch.groupSize, scaling: config.scaleRewards)
        let rewardStd = config.scaleRewards == .batch ? GroupBatch.meanAndStd(scores).std
                                                      : GroupReadout.mean(batch.groups.map(\.std))
        return iteration(batch: batch, steps: steps, batchMetrics: [
            Metric(.rewardStd, rewardStd), Metric(.fracRewardZeroStd, result.fracRewardZeroStd),
        ])
    }
}
