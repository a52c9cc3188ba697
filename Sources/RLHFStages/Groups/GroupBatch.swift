import RLHFEngine

/// How one completion's advantage was made: A = (reward - baseline) / scale.
///
/// GRPO: reward = the reward model's score, baseline = the group's mean, scale = std + 1e-4
/// (or 1 with scale_rewards none). RLOO: reward = score - beta * sequence KL, baseline = the
/// mean of the other completions of the group, scale = 1.
public struct AdvantageBreakdown: Sendable, Equatable {
    /// The reward the algorithm started from (the reward model's score).
    public let score: Double
    /// What was taken off the score before the baseline (RLOO: beta * sum_t k1_t; GRPO: 0).
    public let klPenalty: Double
    public let baseline: Double
    public let scale: Double
    public let advantage: Double

    /// The reward the baseline is subtracted from: score - klPenalty.
    public var reward: Double { score - klPenalty }
}

/// The summary of one group: the mean and Bessel-corrected std of its rewards.
public struct GroupSummary: Sendable, Equatable {
    public let mean: Double
    public let std: Double
    /// All rewards equal (std within 1e-8 of 0): every advantage is 0 and the group gives no gradient.
    public var hasZeroStd: Bool { abs(std) <= 1e-8 }
}

/// One generation batch of a group algorithm: num_generations completions of each prompt,
/// group g holding completions g*k ..< (g+1)*k, and the advantage of each completion.
public struct GroupBatch: Sendable, Equatable {
    public let rollouts: [Rollout]
    public let groupSize: Int
    public let breakdowns: [AdvantageBreakdown]
    public let groups: [GroupSummary]

    public init(rollouts: [Rollout], groupSize: Int, breakdowns: [AdvantageBreakdown], groups: [GroupSummary]) {
        precondition(rollouts.count % groupSize == 0, "\(rollouts.count) completions in groups of \(groupSize)")
        self.rollouts = rollouts
        self.groupSize = groupSize
        self.breakdowns = breakdowns
        self.groups = groups
    }

    public var advantages: [Double] { breakdowns.map(\.advantage) }
    public var groupCount: Int { rollouts.count / groupSize }
    public var tokenCount: Int { rollouts.reduce(0) { $0 + $1.tokenCount } }
    /// The group completion `index` belongs to.
    public func group(of index: Int) -> Int { index / groupSize }

    /// The mean and Bessel-corrected std of each consecutive block of `size` values.
    public static func summaries(_ values: [Double], size: Int) -> [GroupSummary] {
        stride(from: 0, to: values.count, by: size).map { start in
            let block = Array(values[start..<min(start + size, values.count)])
            let (mean, std) = meanAndStd(block)
            return GroupSummary(mean: mean, std: std)
        }
    }

    /// Mean and Bessel-corrected standard deviation, as torch.std: sqrt(sum (x - mean)^2 / (n - 1)),
    /// summed in order; nil-free: the std of one value is reported as 0.
    public static func meanAndStd(_ values: [Double]) -> (mean: Double, std: Double) {
        let mean = values.reduce(0, +) / Double(max(values.count, 1))
        guard values.count > 1 else { return (mean, 0) }
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, (squares / Double(values.count - 1)).squareRoot())
    }
}
