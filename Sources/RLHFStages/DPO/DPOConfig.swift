/// Every DPO setting, under the names of TRL 1.16's `DPOConfig` (the coding keys).
///
/// TRL's defaults, except one: `learning_rate` is 1e-6 in TRL, tuned for models with
/// billions of weights and thousands of steps. On this world's tiny GPT-2, 40 steps at 1e-6
/// move no log-probability visibly (the implicit rewards stay near 0 and the policy is the SFT
/// model to the third decimal), so the default here is 1e-4, the smallest rate at which
/// `train dpo 40` lifts the held-out gold score above the SFT model's.
public struct DPOConfig: Sendable, Equatable, Codable {
    /// The loss applied to z = (chosen logratio - rejected logratio), the logratios being
    /// log pi - log pi_ref of each completion.
    public enum LossType: String, Sendable, Codable, CaseIterable {
        /// DPO (Rafailov et al., 2023): -log sigmoid(beta z), with optional label smoothing (cDPO).
        case sigmoid
        /// SLiC / RSO: max(0, 1 - beta z).
        case hinge
        /// IPO (Azar et al., 2023): (z - 1 / (2 beta))^2, on log-probs averaged over tokens.
        case ipo

        /// IPO compares per-token means of log-probs; the others compare sums (TRL does the same).
        public var averagesLogProbs: Bool { self == .ipo }
    }

    /// beta: the strength of the implicit KL leash; the implicit reward is beta log(pi / pi_ref).
    public var beta: Double = 0.1
    public var lossType: LossType = .sigmoid
    /// epsilon of cDPO: the share of labels assumed flipped (sigmoid loss only; 0 = plain DPO).
    public var labelSmoothing: Double = 0
    /// Adam's step size (TRL: 1e-6; see the type's documentation).
    public var learningRate: Double = 1e-4
    /// Pairs per optimiser step.
    public var perDeviceTrainBatchSize: Int = 8
    /// Gradient-norm clipping.
    public var maxGradNorm: Double = 1.0
    /// Held-out metrics every this many steps, and at the last.
    public var evalSteps: Int = 25

    public init() {}

    /// TRL's names, declared once: settings, help and reports derive from them.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case beta
        case lossType = "loss_type"
        case labelSmoothing = "label_smoothing"
        case learningRate = "learning_rate"
        case perDeviceTrainBatchSize = "per_device_train_batch_size"
        case maxGradNorm = "max_grad_norm"
        case evalSteps = "eval_steps"
    }
}
