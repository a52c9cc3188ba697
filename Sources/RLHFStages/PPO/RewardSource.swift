/// What scores a finished rollout, the seam between RLHF's learned reward and a checkable one.
///
/// `model`: the reward model's score r_phi(x, y), learnt from pairwise preferences (RLHF).
/// `rule`: the world's annotator run as a program on the response, its gold score
/// (an exact-match check of an answer in the arithmetic world: reinforcement learning from a
/// verifiable reward). PPO, GRPO and RLOO use `score` alike; the reward model's score is still
/// recorded beside it.
public enum RewardSource: String, Sendable, Equatable, CaseIterable {
    case model
    case rule

    /// What the source is, in a few words, for `evaluate` and `score`.
    public var description: String {
        switch self {
        case .model: "the reward model's score (learnt from preferences)"
        case .rule: "the annotator's rule run as a program (the gold score)"
        }
    }
}
