/// The names under which a group algorithm (GRPO, RLOO) reports its metrics, TRL's, declared once:
/// the trainers' records are built from these cases and the REPL's summaries pick from them.
///
/// - reward: the mean score; reward_std: the mean of the stds the advantages used (GRPO) or of the
///   groups' score stds (RLOO); frac_reward_zero_std: the share of groups whose scores are all equal
/// - kl: the mean k3 in GRPO's loss (per step), or RLOO's mean sequence k1 (per batch)
/// - entropy, clip_ratio/low_mean, clip_ratio/high_mean, clip_ratio/region_mean, loss: per step,
///   and their means over an iteration's steps
/// - completions/mean_length, completions/clipped_ratio (the share without EOS), gold/score
public enum GroupMetric: String, CaseIterable, Sendable {
    case reward
    case rewardStd = "reward_std"
    case fracRewardZeroStd = "frac_reward_zero_std"
    case kl
    case entropy
    case clipRatioLow = "clip_ratio/low_mean"
    case clipRatioHigh = "clip_ratio/high_mean"
    case clipRatioRegion = "clip_ratio/region_mean"
    case loss
    case meanLength = "completions/mean_length"
    case clippedRatio = "completions/clipped_ratio"
    case goldScore = "gold/score"

    /// The name in records and logs (`reward_std`).
    public var name: String { rawValue }
}

extension Metric {
    /// A group algorithm's metric under its declared name.
    init(_ metric: GroupMetric, _ value: Double) { self.init(metric.name, value) }
}
