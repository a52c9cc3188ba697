/// Every GRPO setting, under the names of TRL 1.16's `GRPOConfig`, with TRL's defaults
/// except where the world would not teach with them (each such default says why).
public struct GRPOConfig: Sendable, Equatable {
    /// How the loss sums the per-token terms (`loss_type`); see `GRPOLoss.weights`.
    public enum LossType: String, Sendable, CaseIterable {
        case grpo, bnpo
        case drGRPO = "dr_grpo"
        case dapo
    }

    /// What the group advantage is divided by (`scale_rewards`); see `GroupAdvantages`.
    public enum ScaleRewards: String, Sendable, CaseIterable {
        case group, batch, none
    }

    /// Completions sampled per prompt, the size of a group (`num_generations`, TRL 8).
    public var numGenerations: Int = 8
    /// Completions per iteration, a multiple of num_generations (`generation_batch_size`). TRL's default is
    /// per_device_train_batch_size = 8, one group; here 16, two groups, as many completions as PPO's batch_size,
    /// so that `scale_rewards batch` differs from `group` and the iterations compare with PPO's.
    public var generationBatchSize: Int = 16
    /// Weight of the k3 KL in the loss (`beta`). TRL 1.16 has 0.0 (no reference model); here 0.04, TRL's
    /// default before 0.19, so that the k3 term and the `kl` metric show in `update step` and `train grpo`.
    /// (Measured: with beta 0, 40 iterations on seeds 0-2 still ended near the beta 0.04 runs, held-out KL
    /// 2.5-2.6; the README gives the figures.)
    public var beta: Double = 0.04
    /// Lower clip range of the ratio (`epsilon`).
    public var epsilon: Double = 0.2
    /// Upper clip range (`epsilon_high`); none means the same as epsilon (DAPO uses 0.28).
    public var epsilonHigh: Double? = nil
    public var lossType: LossType = .dapo
    public var scaleRewards: ScaleRewards = .group
    /// Optimiser steps on each generation batch (`num_iterations`); above 1 the ratio leaves 1.
    public var numIterations: Int = 1
    /// Multiply k3 by the ratio, correcting for sampling from the old policy (`use_bias_correction_kl`).
    public var useBiasCorrectionKL: Bool = true
    /// Sampling and Adam, as GRPO and RLOO share them (`GroupSamplingAndAdam`).
    public var samplingAndAdam = GroupSamplingAndAdam()

    public init() {}

    /// Every setting under its TRL name, declared once.
    public static let fields: [ConfigField<GRPOConfig>] = leadingFields(
        numGenerations: "completions per prompt: the size of a group",
        beta: "weight of the k3 KL to the reference in the loss (0: no leash)",
        epsilon: "lower clip range of the ratio"
    ) + [
        .lossType(\.lossType,
                  meaning: "normalisation: grpo per sequence, bnpo/dapo per token, dr_grpo by B*max length"),
        .choice("scale_rewards", "divide the advantage by the group's std, the batch's, or nothing", \.scaleRewards),
        .numIterations(\.numIterations),
        .flag("use_bias_correction_kl", "multiply k3 by the ratio (importance-sampling correction)",
              \.useBiasCorrectionKL),
    ] + samplingAndAdamFields
}
