/// The numbers TRL logs for a PPO iteration, under TRL's names.
public enum PPOMetrics {
    /// - objective/kl: mean over rollouts of sum_t kl_t (the estimator chosen)
    /// - objective/entropy: mean over rollouts of sum_t -log pi(a_t|s_t)
    /// - objective/non_score_reward: mean over rollouts of sum_t -beta kl_t
    /// - objective/scores: mean score; objective/rlhf_reward: scores + non_score_reward
    /// - policy/approxkl_avg, policy/clipfrac_avg, loss/policy_avg, loss/value_avg,
    ///   val/clipfrac_avg, policy/entropy_avg, val/ratio: means over the update's steps
    /// - gold/score: the annotator's mean gold score, where there is an annotator
    public static func iteration(batch: RolloutBatch, updates: [MinibatchRecord], klCoef: Double) -> [Metric] {
        let rollouts = batch.rollouts
        func meanOverRollouts(_ value: (Rollout) -> Double) -> Double {
            rollouts.reduce(0) { $0 + value($1) } / Double(max(rollouts.count, 1))
        }
        func meanOverSteps(_ value: (MinibatchRecord) -> Double) -> Double {
            updates.reduce(0) { $0 + value($1) } / Double(max(updates.count, 1))
        }
        let scores = meanOverRollouts(\.score)
        let nonScore = meanOverRollouts { $0.nonScoreRewards.reduce(0, +) }
        var metrics = [
            Metric("objective/kl", meanOverRollouts { $0.kl.reduce(0, +) }),
            Metric("objective/entropy", meanOverRollouts { -$0.logprobs.reduce(0, +) }),
            Metric("objective/non_score_reward", nonScore),
            Metric("objective/rlhf_reward", scores + nonScore),
            Metric("objective/scores", scores),
            Metric("policy/approxkl_avg", meanOverSteps(\.approxkl)),
            Metric("policy/clipfrac_avg", meanOverSteps(\.clipfrac)),
            Metric("loss/policy_avg", meanOverSteps(\.pgLoss)),
            Metric("loss/value_avg", meanOverSteps(\.vfLoss)),
            Metric("val/clipfrac_avg", meanOverSteps(\.vfClipfrac)),
            Metric("policy/entropy_avg", meanOverSteps(\.entropyMean)),
            Metric("val/ratio", meanOverSteps(\.ratioMean)),
            Metric("val/num_eos_tokens", Double(rollouts.filter(\.endedWithEOS).count)),
            Metric("objective/kl_coef", klCoef),
        ]
        let golds = rollouts.compactMap(\.goldScore)
        if golds.count == rollouts.count && !golds.isEmpty {
            metrics.append(Metric("gold/score", golds.reduce(0, +) / Double(golds.count)))
        }
        return metrics
    }
}
