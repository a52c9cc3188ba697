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
    public static func perToken(logprobs: [Double], refLogprobs: [Double], estimator: PPOConfig.KLEstimator) -> [Double] {
        precondition(logprobs.count == refLogprobs.count, "KL: \(logprobs.count) log-probs, \(refLogprobs.count) reference")
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
    /// A nil score leaves every token with its KL penalty alone (the score then goes to the slot after EOS).
    public static func shapedRewards(kl: [Double], score: Double?, beta: Double) -> [Double] {
        precondition(!kl.isEmpty, "a response has at least one token")
        var rewards = kl.map { -beta * $0 }
        if let score { rewards[rewards.count - 1] += score }
        return rewards
    }

    /// The score PPO uses: the reward model's score, with the missing-EOS rule applied
    /// when the response was cut off. TRL subtracts the penalty; lm-human-preferences
    /// replaces the score by -penalty.
    public static func score(rewardModelScore: Double, endedWithEOS: Bool, penalty: Double?,
                             mode: PPOConfig.MissingEOSMode) -> Double {
        guard !endedWithEOS, let penalty else { return rewardModelScore }
        switch mode {
        case .subtract: return rewardModelScore - penalty
        case .replace: return -penalty
        }
    }
}

/// Ziegler et al. (2019)'s adaptive KL controller: nudges beta so that the measured KL
/// approaches a target.
///   err = clip(KL / target - 1, -0.2, 0.2)
///   beta <- beta * (1 + err * n / horizon)
/// where n is the number of rollouts in the batch just measured.
public struct AdaptiveKLController: Sendable, Equatable {
    public private(set) var value: Double
    public let target: Double
    public let horizon: Double

    public init(initialValue: Double, target: Double, horizon: Double) {
        value = initialValue
        self.target = target
        self.horizon = horizon
    }

    public mutating func update(currentKL: Double, steps: Int) {
        let error = min(max(currentKL / target - 1, -0.2), 0.2)
        value *= 1 + error * Double(steps) / horizon
    }
}
