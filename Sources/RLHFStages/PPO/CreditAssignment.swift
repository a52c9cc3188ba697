/// Where each GAE advantage comes from: the exact split of raw A_t into the part that came from the
/// terminal score, the part from the KL penalties, and the part from the critic's value estimates.
///
/// GAE is linear in the rewards and the values: with c = gamma lambda,
///   A_t = sum_l c^l delta_{t+l},  delta_t = r_t + gamma V(s_{t+1}) - V(s_t),
/// so running `Advantages.gae` three times, each on one ingredient with the others zero, splits A_t:
///   score_t  = GAE(rewards: the score alone, values: 0)        = sum_l c^l s_{t+l}
///   kl_t     = GAE(rewards: r - the score, values: 0)          = sum_l c^l (-beta kl_{t+l})
///   critic_t = GAE(rewards: 0, values: V)                      = sum_l c^l (gamma V_{t+l+1} - V_{t+l})
/// and score_t + kl_t + critic_t = A_t (V after the last entry is 0, as in GAE).
public enum CreditAssignment {
    /// The three parts of one token's raw advantage.
    public struct Parts: Equatable, Sendable {
        public let score: Double
        public let kl: Double
        public let critic: Double
        public var total: Double { score + kl + critic }

        public init(score: Double, kl: Double, critic: Double) {
            self.score = score
            self.kl = kl
            self.critic = critic
        }
    }

    /// The parts of every raw A_t of `rollout`, with the score at its last token. With the slot after EOS
    /// (score_position after_eos) the sums run one step further, over the slot (reward = the score, value
    /// V_slot), and the last entry of the result is the slot's.
    public static func split(_ rollout: Rollout, gamma: Double, lambda: Double) -> [Parts] {
        let rewards = rollout.throughSlot(rollout.rewards, \.reward)
        let nonScore = rollout.throughSlot(rollout.nonScoreRewards) { _ in 0 }  // the slot's reward is all score
        let values = rollout.throughSlot(rollout.values, \.value)
        let last = rewards.count - 1
        var scoreOnly = [Double](repeating: 0, count: rewards.count)
        scoreOnly[last] = rewards[last] - nonScore[last]
        var penaltyOnly = rewards
        penaltyOnly[last] -= scoreOnly[last]
        let zeros = [Double](repeating: 0, count: rewards.count)
        let score = Advantages.gae(rewards: scoreOnly, values: zeros, gamma: gamma, lambda: lambda).advantages
        let kl = Advantages.gae(rewards: penaltyOnly, values: zeros, gamma: gamma, lambda: lambda).advantages
        let critic = Advantages.gae(rewards: zeros, values: values, gamma: gamma, lambda: lambda).advantages
        return (0...last).map { Parts(score: score[$0], kl: kl[$0], critic: critic[$0]) }
    }
}
