/// The settings several trainers share, each TRL name declared once here: how completions are
/// sampled, how Adam steps, and the group algorithms' and DPO's common knobs. Every config's
/// `fields` uses these, so `set`, `show`, help and the trace files agree on the names.
/// Meanings and ranges that differ between algorithms are parameters.
extension ConfigField {
    // MARK: Adam (every trainer)

    /// `learning_rate`: Adam's step size.
    public static func learningRate(_ path: WritableKeyPath<Config, Double> & Sendable,
                                    meaning: String = "Adam's step size") -> ConfigField {
        number(SharedSettingName.learningRate, meaning, 1e-9...1, path)
    }

    /// `adam_beta1`, `adam_beta2`, `adam_epsilon`: Adam's moment decays and its epsilon; traces carry them,
    /// `set` does not offer them.
    public static func adamBeta1(_ path: WritableKeyPath<Config, Double> & Sendable) -> ConfigField {
        number("adam_beta1", "decay of Adam's first moment", 0...0.999999, path, listed: false)
    }

    public static func adamBeta2(_ path: WritableKeyPath<Config, Double> & Sendable) -> ConfigField {
        number("adam_beta2", "decay of Adam's second moment", 0...0.999999, path, listed: false)
    }

    public static func adamEpsilon(_ path: WritableKeyPath<Config, Double> & Sendable) -> ConfigField {
        number("adam_epsilon", "Adam's epsilon", 0...1, path, listed: false)
    }

    /// `max_grad_norm`: the gradient's norm is clipped to this before the step.
    public static func maxGradNorm(_ path: WritableKeyPath<Config, Double> & Sendable,
                                   meaning: String = "gradient-norm clipping") -> ConfigField {
        number(SharedSettingName.maxGradNorm, meaning, 0.0001...1e6, path)
    }

    // MARK: Sampling (PPO, GRPO, RLOO)

    /// `temperature`: log-probs use logits / (temperature + 1e-7), as TRL does.
    public static func temperature(_ path: WritableKeyPath<Config, Double> & Sendable,
                                   batch: Bool = false) -> ConfigField {
        number("temperature", "sampling temperature (log-probs use logits / temperature)", 0.01...100, path,
               batch: batch)
    }

    /// `top_k`: sample from the k most likely tokens only; 0 keeps them all.
    public static func topK(_ path: WritableKeyPath<Config, Int> & Sendable, batch: Bool = false) -> ConfigField {
        integer("top_k", "sample from the k most likely tokens only (0: all)", 0...1000, path, batch: batch)
    }

    // MARK: Group algorithms (GRPO, RLOO) and DPO

    /// `beta`: the weight of the KL leash (its form is the algorithm's).
    public static func beta(_ path: WritableKeyPath<Config, Double> & Sendable, meaning: String,
                            range: ClosedRange<Double> = 0...100) -> ConfigField {
        number("beta", meaning, range, path)
    }

    /// `loss_type`: which loss the algorithm applies.
    public static func lossType<Choice: RawRepresentable & CaseIterable & Sendable>(
        _ path: WritableKeyPath<Config, Choice> & Sendable, meaning: String
    ) -> ConfigField where Choice.RawValue == String {
        choice("loss_type", meaning, path)
    }

    /// `num_generations`: completions per prompt, the size of a group.
    public static func numGenerations(_ path: WritableKeyPath<Config, Int> & Sendable,
                                      meaning: String) -> ConfigField {
        integer("num_generations", meaning, 2...64, path)
    }

    /// `generation_batch_size`: completions per iteration, a multiple of num_generations.
    public static func generationBatchSize(_ path: WritableKeyPath<Config, Int> & Sendable) -> ConfigField {
        integer("generation_batch_size", "completions per iteration (a multiple of num_generations)", 2...256, path)
    }

    /// `epsilon` and `epsilon_high`: the lower and upper clip ranges of the ratio.
    public static func epsilon(_ path: WritableKeyPath<Config, Double> & Sendable, meaning: String) -> ConfigField {
        number("epsilon", meaning, 0.0001...10, path)
    }

    public static func epsilonHigh(_ path: WritableKeyPath<Config, Double?> & Sendable) -> ConfigField {
        optionalNumber("epsilon_high", "upper clip range (none: epsilon)", 0.0001...10, path)
    }

    /// `num_iterations`: optimiser steps on each generation batch.
    public static func numIterations(_ path: WritableKeyPath<Config, Int> & Sendable) -> ConfigField {
        integer("num_iterations", "optimiser steps on each generation batch", 1...64, path)
    }

    /// `max_completion_length`: the longest completion, EOS included.
    public static func maxCompletionLength(_ path: WritableKeyPath<Config, Int> & Sendable) -> ConfigField {
        integer("max_completion_length", "longest completion, in tokens, EOS included", 1...64, path)
    }
}

/// The TRL names that more than the settings tables read: the world recipe's training sections
/// (`readTraining`) and the benchmark's JSON take their keys from here, so each name is written once.
public enum SharedSettingName {
    /// Adam's step size (`ConfigField.learningRate`).
    public static let learningRate = "learning_rate"
    /// Gradient-norm clipping (`ConfigField.maxGradNorm`).
    public static let maxGradNorm = "max_grad_norm"
    /// Examples per optimiser step in a recipe; PPO's rollouts per iteration (`PPOConfig.fields`).
    public static let batchSize = "batch_size"
    /// PPO's longest response in tokens (`PPOConfig.fields`); also a key of `rlhf bench --json`.
    public static let responseLength = "response_length"
}
