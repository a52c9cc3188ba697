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
    /// Sampling temperature; log-probs use logits / (temperature + 1e-7).
    public var temperature: Double = 1.0
    /// Sample from the k most likely tokens only (`top_k`, 0: all).
    public var topK: Int = 0
    /// Longest completion in tokens, EOS included (`max_completion_length`, TRL 256; the world's context is 32).
    public var maxCompletionLength: Int = 16
    /// Adam's step size (`learning_rate`). TRL's 1e-6 is for billion-parameter models: on this tiny GPT-2 it
    /// moves little in 40 iterations (held-out rm score -0.652 to -0.641 on seed 0); 3e-4 raises it past +2.9.
    public var learningRate: Double = 3e-4
    public var adamBeta1: Double = 0.9
    public var adamBeta2: Double = 0.999
    public var adamEpsilon: Double = 1e-8
    public var maxGradNorm: Double = 1.0

    public init() {}

    /// epsilon_high as used: epsilon when unset.
    public var upperEpsilon: Double { epsilonHigh ?? epsilon }

    /// Prompts per iteration: generation_batch_size / num_generations.
    public var promptsPerIteration: Int { max(1, generationBatchSize / numGenerations) }

    /// Every setting under its TRL name, declared once.
    public static let fields: [ConfigField<GRPOConfig>] = [
        .numGenerations(\.numGenerations, meaning: "completions per prompt: the size of a group"),
        .generationBatchSize(\.generationBatchSize),
        .beta(\.beta, meaning: "weight of the k3 KL to the reference in the loss (0: no leash)"),
        .epsilon(\.epsilon, meaning: "lower clip range of the ratio"),
        .epsilonHigh(\.epsilonHigh),
        .lossType(\.lossType,
                  meaning: "normalisation: grpo per sequence, bnpo/dapo per token, dr_grpo by B*max length"),
        .choice("scale_rewards", "divide the advantage by the group's std, the batch's, or nothing", \.scaleRewards),
        .numIterations(\.numIterations),
        .flag("use_bias_correction_kl", "multiply k3 by the ratio (importance-sampling correction)",
              \.useBiasCorrectionKL),
        .temperature(\.temperature),
        .topK(\.topK),
        .maxCompletionLength(\.maxCompletionLength),
        .learningRate(\.learningRate),
        .maxGradNorm(\.maxGradNorm),
    ]

    /// Checks the settings that constrain each other.
    /// - Throws: `ConfigFieldError` naming both settings.
    public func validate() throws {
        guard generationBatchSize % numGenerations == 0 else {
            throw ConfigFieldError("generation_batch_size (\(generationBatchSize)) must be a multiple of "
                + "num_generations (\(numGenerations))")
        }
    }
}
