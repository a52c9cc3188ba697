import RLHFEngine

/// How a model does on prompts it was not trained on: the mean reward-model score, the
/// annotator's mean gold score and the mean summed KL to the reference, over fresh samples.
public struct HeldOutEvaluation: Sendable, Equatable {
    public let samples: Int
    public let rewardModelScore: Double
    public let goldScore: Double?
    /// Mean over samples of sum_t (log p - log p_ref), the k1 estimate of KL(policy || reference).
    public let kl: Double
    /// The first sample's response, for a glance at the text.
    public let example: [Int]

    /// The seed `evaluate` samples from, the same for every model and every call.
    public static let standardSeed: UInt64 = 7

    /// Samples `perPrompt` responses to each prompt with `collector`'s policy, from a
    /// generator seeded with `seed` (so two models can be compared on the same draws).
    public static func run(collector: RolloutCollector, prompts: [[Int]], perPrompt: Int,
                           seed: UInt64) -> HeldOutEvaluation {
        var random = RandomGenerator(seed: seed)
        let all = Array(repeating: prompts, count: perPrompt).flatMap { $0 }
        let rollouts = collector.collect(prompts: all, random: &random)
        let count = Double(rollouts.count)
        let golds = rollouts.compactMap(\.goldScore)
        return HeldOutEvaluation(
            samples: rollouts.count,
            rewardModelScore: rollouts.reduce(0) { $0 + $1.rewardModelScore } / count,
            goldScore: golds.count == rollouts.count ? golds.reduce(0, +) / count : nil,
            kl: sequenceKL(rollouts),
            example: rollouts.first?.responseText ?? [])
    }

    /// Mean over rollouts of sum_t (log p - log p_ref): the k1 estimate of KL(policy || reference)
    /// per response, whatever kl_estimator the penalty uses (the `kl_to_sft` of training events).
    public static func sequenceKL(_ rollouts: [Rollout]) -> Double {
        guard !rollouts.isEmpty else { return 0 }
        return rollouts.reduce(0) { $0 + $1.sequenceKL } / Double(rollouts.count)
    }
}

extension Metric {
    /// The name `kl_to_sft`, declared once: the mean over samples of sum_t (log p - log p_ref)
    /// (`HeldOutEvaluation.sequenceKL`), which every algorithm's training events and log lines carry.
    public static let klToSFTName = "kl_to_sft"

    /// `kl` under the name `kl_to_sft`.
    public static func klToSFT(_ kl: Double) -> Metric { Metric(klToSFTName, kl) }
}

/// Samples of held-out prompts that measure a policy during training, for an algorithm that
/// draws none of its own (DPO): `evaluate`'s fixed draws (`standardSeed`), `perPrompt` per prompt.
public struct HeldOutSampling {
    /// Samples with the policy trained, against the SFT model as the reference.
    public let collector: RolloutCollector
    public let prompts: [[Int]]
    public let perPrompt: Int

    public init(collector: RolloutCollector, prompts: [[Int]], perPrompt: Int) {
        self.collector = collector
        self.prompts = prompts
        self.perPrompt = perPrompt
    }

    /// `gold/score` (when the annotator scores every sample) and `kl_to_sft`, the mean over samples
    /// of sum_t (log p - log p_ref), as the online algorithms' training events carry them.
    public func metrics() -> [Metric] {
        let held = HeldOutEvaluation.run(collector: collector, prompts: prompts, perPrompt: perPrompt,
                                         seed: HeldOutEvaluation.standardSeed)
        return (held.goldScore.map { [Metric("gold/score", $0)] } ?? []) + [.klToSFT(held.kl)]
    }
}
