/// What PPO's credit assignment would give the tokens of a completion a group algorithm
/// scored: the shaped reward and GAE with the critic's values, before whitening (for `credit`).
public enum GroupCredit {
    /// r_t = -kl_coef kl_t (+ the score at the last token), then GAE:
    ///   delta_t = r_t + gamma V(s_t+1) - V(s_t),  A_t = delta_t + gamma lambda A_t+1,  V after the last token 0.
    public static func ppoAdvantages(_ rollout: Rollout, config: PPOConfig) -> (rewards: [Double],
                                                                                advantages: [Double]) {
        let kl = KLPenalty.perToken(logprobs: rollout.logprobs, refLogprobs: rollout.refLogprobs,
                                    estimator: config.klEstimator)
        let source = rollout.scoredByRule ? rollout.goldScore ?? rollout.rewardModelScore : rollout.rewardModelScore
        let score = MissingEOSPenalty.score(rewardModelScore: source, endedWithEOS: rollout.endedWithEOS,
                                            penalty: config.missingEOSPenalty, mode: config.missingEOSMode)
        let rewards = KLPenalty.shapedRewards(kl: kl, score: score, beta: config.klCoef)
        let gae = Advantages.gae(rewards: rewards, values: rollout.values, gamma: config.gamma, lambda: config.lam)
        return (rewards, gae.advantages)
    }
}
