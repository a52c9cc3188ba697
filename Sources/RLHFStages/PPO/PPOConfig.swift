/// Every PPO setting, under the names of TRL's `PPOConfig` where one exists.
public struct PPOConfig: Sendable, Equatable {
    /// What to do with the score of a response that hit the length limit without EOS.
    public enum MissingEOSMode: String, Sendable, CaseIterable {
        /// TRL: score - missing_eos_penalty.
        case subtract
        /// lm-human-preferences: the score becomes -missing_eos_penalty.
        case replace
    }

    /// How the per-token KL is estimated.
    public enum KLEstimator: String, Sendable, CaseIterable {
        /// k1 = log p - log p_ref: unbiased, can be negative for one token.
        case k1
        /// k3 = (r - 1) - log r with r = p_ref / p: unbiased, never negative, lower variance.
        case k3
    }

    /// Where the terminal score enters the shaped reward.
    public enum ScorePosition: String, Sendable, CaseIterable {
        /// On the EOS token itself (TRL 0.11.4's `step()`: the last response token).
        case eos
        /// One slot after EOS (TRL's PPOv2 trainer, 0.12 to 1.12: `sequence_lengths + 1`). That slot's
        /// V(s after EOS) stays in GAE: A_EOS = -beta kl + gamma V_slot - V_EOS + gamma lambda (score - V_slot).
        case afterEOS = "after_eos"
    }

    /// beta, the weight of the KL penalty (`kl_coef`). With `adaptiveKL` it is the start value.
    /// 0.1, where TRL's PPOConfig has 0.05 (TRL 0.11.4's `init_kl_coef` was 0.2): with the learning
    /// rate below, at 0.05 the policy of this small world was collapsing onto one sentence within 50
    /// iterations (5 and 4 distinct responses in a batch of 16 on seeds 1 and 3); at 0.1 it kept
    /// 5-12 on seeds 1-7, at least 6 on all but seed 4. (With the reward model's 175 steps, 0.05 keeps 9
    /// and 9 on seeds 1 and 3, and 0.1 keeps 5-12 on seeds 1-7, at least 8 on all but seed 1.)
    public var klCoef: Double = 0.1
    public var klEstimator: KLEstimator = .k1
    /// Ziegler et al.'s adaptive controller: target KL and horizon; nil keeps beta fixed.
    public var adaptiveKLTarget: Double? = nil
    public var adaptiveKLHorizon: Double = 10_000
    /// Discount (`gamma`).
    public var gamma: Double = 1.0
    /// GAE's lambda (`lam`).
    public var lam: Double = 0.95
    /// epsilon of the clipped surrogate (`cliprange`).
    public var cliprange: Double = 0.2
    /// Clip range of the value prediction (`cliprange_value`).
    public var cliprangeValue: Double = 0.2
    /// Weight of the value loss (`vf_coef`).
    public var vfCoef: Double = 0.1
    /// Weight of an entropy bonus subtracted from the loss (not in TRL; 0 turns it off).
    public var entropyCoef: Double = 0
    /// Passes over each batch (`num_ppo_epochs`); 4, as TRL.
    public var numPPOEpochs: Int = 4
    /// Minibatches per pass (`num_mini_batches`). 2, where TRL has 1, so that `update step`
    /// shows the policy moving between minibatches of one update (the ratio leaves 1 at the
    /// second step); with the learning rate below every step stays inside the trust region.
    public var numMiniBatches: Int = 2
    /// Rollouts per PPO iteration (`batch_size` / `local_rollout_forward_batch_size`).
    public var batchSize: Int = 16
    /// Whiten the shaped rewards before GAE (`whiten_rewards`).
    public var whitenRewards: Bool = false
    /// Penalty for a response without EOS (`missing_eos_penalty`); nil for none.
    public var missingEOSPenalty: Double? = 1.0
    public var missingEOSMode: MissingEOSMode = .subtract
    /// Adam's settings (`learning_rate`, `adam_beta1`, `adam_beta2`, `adam_epsilon`, `max_grad_norm`).
    /// The learning rate is 3e-5, ten times TRL's 3e-6 (TRL 0.11.4: 1.41e-5), because this GPT-2 is
    /// tiny and lessons run 50 iterations, not thousands; chosen by measurement over seeds 1-7: every
    /// minibatch step after iteration 20 kept approxkl <= 0.045 (at kl_coef 0.05, 3e-4 reached 0.51
    /// and 1e-4 0.073).
    public var learningRate: Double = 3e-5
    public var adamBeta1: Double = 0.9
    public var adamBeta2: Double = 0.999
    public var adamEpsilon: Double = 1e-8
    public var maxGradNorm: Double = 1.0
    /// Sampling temperature; log-probabilities use logits / (temperature + 1e-7) as TRL does.
    public var temperature: Double = 1.0
    /// Top-k for sampling rollouts (0 keeps every token, as TRL's PPO does).
    public var topK: Int = 0
    /// Where the score lands: on EOS, or one slot after it as PPOv2 does (`score_position`).
    public var scorePosition: ScorePosition = .eos
    /// Longest response in tokens, EOS included (`response_length`).
    public var responseLength: Int = 16

    public init() {}

    /// Every setting under TRL's name, declared once, in `show`'s order; `batch: true` marks those a batch's
    /// numbers depend on (everything before the update; changing the adaptive controller restarts beta).
    public static let fields: [ConfigField<PPOConfig>] = [
        .number("kl_coef", "beta: weight of the KL penalty in the shaped reward", 0...100, \.klCoef, batch: true),
        .choice("kl_estimator", "per-token KL estimate: k1 = log p - log p_ref, k3 = (r - 1) - log r",
                \.klEstimator, batch: true),
        .optionalNumber("adaptive_kl_target", "target KL of the adaptive controller (none: beta stays fixed)",
                        0.001...1000, \.adaptiveKLTarget, batch: true),
        .number("adaptive_kl_horizon", "horizon of the adaptive controller", 1...1e9, \.adaptiveKLHorizon,
                batch: true),
        .number("gamma", "discount", 0...1, \.gamma, batch: true),
        .number("lam", "GAE's lambda", 0...1, \.lam, batch: true),
        .number("cliprange", "epsilon of the clipped surrogate", 0.0001...10, \.cliprange),
        .number("cliprange_value", "clip range of the value prediction", 0.0001...100, \.cliprangeValue),
        .number("vf_coef", "weight of the value loss", 0...100, \.vfCoef),
        .number("entropy_coef", "weight of the entropy bonus (0: none)", 0...10, \.entropyCoef),
        .integer("num_ppo_epochs", "passes over each batch", 1...64, \.numPPOEpochs),
        .integer("num_mini_batches", "minibatches per pass", 1...256, \.numMiniBatches),
        .integer(SharedSettingName.batchSize, "rollouts per PPO iteration", 1...256, \.batchSize),
        .flag("whiten_rewards", "whiten shaped rewards before GAE", \.whitenRewards, batch: true),
        .optionalNumber("missing_eos_penalty", "penalty for a response without EOS (none: no penalty)", 0...1000,
                        \.missingEOSPenalty, batch: true),
        .choice("missing_eos_mode", "subtract the penalty from the score (TRL) or replace the score by -penalty",
                \.missingEOSMode, batch: true),
        .learningRate(\.learningRate),
        .adamBeta1(\.adamBeta1),
        .adamBeta2(\.adamBeta2),
        .adamEpsilon(\.adamEpsilon),
        .maxGradNorm(\.maxGradNorm),
        .temperature(\.temperature, batch: true),
        .topK(\.topK, batch: true),
        .integer(SharedSettingName.responseLength, "longest response, in tokens, EOS included", 1...64,
                 \.responseLength, batch: true),
        // Absent from traces written before the setting existed: the score sat on EOS.
        .choice("score_position", "where the score lands: on EOS (TRL 0.11.4) or one slot after it (TRL's PPOv2)",
                \.scorePosition, batch: true).optionalInFiles(),
    ]
}

extension PPOConfig {
    /// The settings a batch's numbers depend on (`shapesBatch`), by TRL's name, where `self` and `other`
    /// differ: (name, self's value, other's value). Empty when the batch would come out the same.
    /// Why the adaptive controller could take beta to 0 or below after a batch of `rollouts`, or nil. Its
    /// update (Ziegler et al.; TRL 0.11.4's AdaptiveKLController) multiplies beta by 1 + e x rollouts / horizon
    /// with e = clip(KL / target - 1, -0.2, 0.2), so a KL under 0.8 x target gives a factor of 0 or below
    /// once rollouts >= 5 x horizon.
    public func adaptiveKLProblem(rollouts: Int) -> String? {
        guard adaptiveKLTarget != nil, Double(rollouts) >= 5 * adaptiveKLHorizon else { return nil }
        return "adaptive_kl_horizon \(ConfigField<PPOConfig>.shortText(adaptiveKLHorizon)) is too short for "
            + "\(rollouts) rollouts a batch: beta is multiplied by 1 + e x rollouts / horizon, e = clip(kl / target "
            + "- 1, -0.2, 0.2), which is 0 or below when kl is under 0.8 x target unless horizon > rollouts / 5"
    }

    public func batchSettingsDiffering(from other: PPOConfig) -> [(name: String, value: String, other: String)] {
        Self.fields.filter(\.shapesBatch).compactMap { field in
            let (value, otherValue) = (field.read(self), field.read(other))
            return value == otherValue ? nil : (field.name, value, otherValue)
        }
    }

    /// These settings with everything a batch's numbers depend on taken from `batch` (the settings the batch
    /// was computed with): what a trace of that batch and its update states.
    public func keepingBatchSettings(of batch: PPOConfig) -> PPOConfig {
        var config = self
        for field in Self.fields where field.shapesBatch { field.copy(&config, batch) }
        return config
    }
}
