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
    public var temperature: Double = 1.0
    public var topK: Int = 0
    /// Longest completion in tokens, EOS included (`max_completion_length`, TRL 256; the world's context is 32).
    public var maxCompletionLength: Int = 16
    /// Adam's step size (`learning_rate`). TRL's 1e-6 barely moves this tiny GPT-2 in 40 iterations
    /// (held-out rm score -0.652 to -0.641 on seed 0); 3e-4, the GRPO default here too, raises it past +2.3.
    public var learningRate: Double = 3e-4
    public var adamBeta1: Double = 0.9
    public var adamBeta2: Double = 0.999
    public var adamEpsilon: Double = 1e-8
    public var maxGradNorm: Double = 1.0

    public init() {}

    public var upperEpsilon: Double { epsilonHigh ?? epsilon }
    public var promptsPerIteration: Int { max(1, generationBatchSize / numGenerations) }

    /// Every setting under its TRL name, declared once.
    public static let fields: [ConfigField<RLOOConfig>] = [
        .numGenerations(\.numGenerations, meaning: "completions per prompt, k (the baseline is the other k - 1)"),
        .generationBatchSize(\.generationBatchSize),
        .beta(\.beta, meaning: "weight of the sequence KL subtracted from the reward"),
        .epsilon(\.epsilon, meaning: "lower clip range of the sequence ratio"),
        .epsilonHigh(\.epsilonHigh),
        .flag("normalize_advantages", "whiten the advantages over the batch", \.normalizeAdvantages),
        .numIterations(\.numIterations),
        .temperature(\.temperature),
        .topK(\.topK),
        .maxCompletionLength(\.maxCompletionLength),
        .learningRate(\.learningRate),
        .maxGradNorm(\.maxGradNorm),
    ]

    /// - Throws: `ConfigFieldError` when generation_batch_size is not a multiple of num_generations.
    public func validate() throws {
        guard generationBatchSize % numGenerations == 0 else {
            throw ConfigFieldError("generation_batch_size (\(generationBatchSize)) must be a multiple of "
                + "num_generations (\(numGenerations))")
        }
    }
}
