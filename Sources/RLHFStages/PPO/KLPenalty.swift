import RLHFEngine

/// The KL leash: a per-token penalty for drifting from the frozen SFT (reference) model,
/// and the shaped reward it produces.
public enum KLPenalty {
    /// Per-token KL estimates between the policy and the reference, from the log-probs
    /// of the tokens actually sampled:
    ///   k1_t = log p(a_t|s_t) - log p_ref(a_t|s_t)
    ///   k3_t = (r_t - 1) - log r_t,  r_t = p_ref(a_t|s_t) / p(a_t|s_t)
    /// Both average to KL(p || p_ref) over samples from p; k1 can be negative for a
    /// single token, k3 never is (Schulman, "Approximating KL divergence", 2020).
    public static func perToken(logprobs: [Double], refLogprobs: [Double],
                                estimator: PPOConfig.KLEstimator) -> [Double] {
        precondition(logprobs.count == refLogprobs.count,
                     "KL: \(logprobs.count) log-probs, \(refLogprobs.count) reference")
        return zip(logprobs, refLogprobs).map { logp, refLogp in
            switch estimator {
            case .k1:
                return logp - refLogp
            case .k3:
                let logRatio = refLogp - logp
                return (PortableMath.exp(logRatio) - 1) - logRatio
            }
        }
    }

    /// The shaped reward of each response token:
    ///   r_t = -beta * kl_t            for every token,
    ///   r_T = -beta * kl_T + score    at the last token (EOS, or the last token when cut off).
    /// The score arrives once, at the end; every other step only pays the KL penalty.
    /// A nil score leaves every token with its KL penalty alone (the score then goes to the slot
    /// after EOS).
    public static func shapedRewards(kl: [Double], score: Double?, beta: Double) -> [Double] {
        shapedRewards(nonScoreRewards: nonScoreRewards(kl: kl, beta: beta), score: score)
    }

    /// The KL part of the shaped reward alone (TRL's non_score_reward): -beta * kl_t for every token.
    public static func nonScoreRewards(kl: [Double], beta: Double) -> [Double] {
        kl.map { -beta * $0 }
    }

    /// The shaped reward from its KL part: r_t = nonScore_t, plus the score at the last token when one is given.
    public static func shapedRewards(nonScoreRewards: [Double], score: Double?) -> [Double] {
        precondition(!nonScoreRewards.isEmpty, "a response has at least one token")
        var rewards = nonScoreRewards
        if let score { rewards[rewards.count - 1] += score }
        return rewards
    }
}
