/// Every RLOO setting, under the names of TRL 1.16's `RLOOConfig`, with TRL's defaults
/// except where the world would not teach with them (each such default says why).
public struct RLOOConfig: Sendable, Equatable {
    /// Whiten the advantages over the batch, (A - mean) / (std + 1e-4) (`normalize_advantages`).
    public var normalizeAdvantages: Bool = false
    /// What RLOO shares with GRPO, with RLOO's defaults: TRL's num_generations 2 (k) and beta 0.05, the
    /// weight of the sequence-level k1 KL subtracted from the reward.
    public var shared = GroupSettings(numGenerations: 2, beta: 0.05)

    public init() {}

    /// Every setting under its TRL name, declared once.
    public static let fields: [ConfigField<RLOOConfig>] = leadingFields(
        numGenerations: "completions per prompt, k (the baseline is the other k - 1)",
        beta: "weight of the sequence KL subtracted from the reward",
        epsilon: "lower clip range of the sequence ratio"
    ) + [
        .flag("normalize_advantages", "whiten the advantages over the batch", \.normalizeAdvantages),
        .numIterations(\.shared.numIterations),
    ] + samplingAndAdamFields
}
