/// The missing-EOS rule: what happens to the score of a response cut off at response_length
/// before it produced EOS (TRL's `missing_eos_penalty`).
public enum MissingEOSPenalty {
    /// The score PPO uses: the reward model's score, with the missing-EOS rule applied
    /// when the response was cut off:
    ///   subtract: score - penalty;  replace: -penalty;  no penalty set, or EOS reached: the score.
    /// TRL subtracts the penalty; lm-human-preferences replaces the score by -penalty.
    public static func score(rewardModelScore: Double, endedWithEOS: Bool, penalty: Double?,
                             mode: PPOConfig.MissingEOSMode) -> Double {
        guard !endedWithEOS, let penalty else { return rewardModelScore }
        switch mode {
        case .subtract: return rewardModelScore - penalty
        case .replace: return -penalty
        }
    }
}
