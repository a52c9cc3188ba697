/// Every GRPO setting, under the names of TRL 1.16's `GRPOConfig`, with TRL's defaults
/// except where the world would not teach with them (each such default says why).
public struct GRPOConfig: Sendable, Equatable {
    /// How the loss sums the per-token terms (`loss_type`); see `GRPOLoss.weights`.
    public enum LossType: String, Sendable, Codable, CaseIterable {
        case grpo, bnpo
        case drGRPO = "dr_grpo"
        case dapo
    }

    /// What the group advantage is divided by (`scale_rewards`); see `GroupAdvantages`.
    public enum ScaleRewards: String, Sendable, Codable, CaseIterable {
        case group, batch, none
    }

    public var lossType: LossType = .dapo
    public var scaleRewards: ScaleRewards = .group
    /// Multiply k3 by the ratio, correcting for sampling from the old policy (`use_bias_correction_kl`).
    public var useBiasCorrectionKL: Bool = true
    /// What GRPO shares with RLOO, with GRPO's defaults: TRL's num_generations 8, so 16 completions are
    /// two groups and `scale_rewards batch` differs from `group`. beta (the k3 KL's weight in the loss):
    /// TRL 1.16 has 0.0 (no reference model); here 0.04, TRL's default before 0.19, so that the k3 term and
    /// the `kl` metric show in `update step` and `train grpo`. (Measured: with beta 0, 40 iterations on seeds
    /// 0-2 still ended near the beta 0.04 runs, held-out KL 2.5-2.6; the README gives the figures.)
    public var shared = GroupSettings(numGenerations: 8, beta: 0.04)

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
        .numIterations(\.shared.numIterations),
        .flag("use_bias_correction_kl", "multiply k3 by the ratio (importance-sampling correction)",
              \.useBiasCorrectionKL),
    ] + samplingAndAdamFields
}
