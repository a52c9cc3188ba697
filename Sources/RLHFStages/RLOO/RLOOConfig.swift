/// Every RLOO setting, under the names of TRL 1.16's `RLOOConfig`, with TRL's defaults
/// except where the world would not teach with them (each such default says why).
public struct RLOOConfig: Sendable, Equatable {
    /// Completions sampled per prompt, k (`num_generations`, TRL 2).
    public var numGenerations: Int = 2
    /// Completions per iteration, a multiple of num_generations (`generation_batch_size`). TRL's default is
    /// per_device_train_batch_size = 8; here 16, as many completions as PPO's batch_size.
    public var generationBatchSize: Int = 16
    /// Weight of the sequence-level k1 KL subtracted from the reward (`beta`).
    public var beta: Double = 0.05
    /// Clip range of the sequence ratio (`epsilon`); `epsilon_high` none means the same.
    public var epsilon: Double = 0.2
    public var epsilonHigh: Double? = nil
    /// Whiten the advantages over the batch, (A - mean) / (std + 1e-4) (`normalize_advantages`).
    public var normalizeAdvantages: Bool = false
    /// Optimiser steps on each generation batch (`num_iterations`).
    public var numIterations: Int = 1
    /// Sampling and Adam, as GRPO and RLOO share them (`GroupSamplingAndAdam`).
    public var samplingAndAdam = GroupSamplingAndAdam()

    public init() {}

    /// Every setting under its TRL name, declared once.
    public static let fields: [ConfigField<RLOOConfig>] = leadingFields(
        numGenerations: "completions per prompt, k (the baseline is the other k - 1)",
        beta: "weight of the sequence KL subtracted from the reward",
        epsilon: "lower clip range of the sequence ratio"
    ) + [
        .flag("normalize_advantages", "whiten the advantages over the batch", \.normalizeAdvantages),
        .numIterations(\.numIterations),
    ] + samplingAndAdamFields
}
