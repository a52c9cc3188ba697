/// Every DPO setting, under the names of TRL 1.16's `DPOConfig` (`fields`).
///
/// TRL's defaults, except one: `learning_rate` is 1e-6 in TRL, tuned for models with billions
/// of weights trained for thousands of steps. Measured on the built-in world (`train dpo 40`
/// then `evaluate`, seeds 0-4): at 1e-6 and 1e-5 the held-out samples stay exactly the SFT
/// model's (gold +0.625, KL below 0.02); at 3e-5 the gold score reaches 1.8-2.3; at 1e-4, the
/// default here, 2.3-3.4 with a KL to the SFT model of 0.3-0.6; at 3e-4 the KL runs to 2.6-21
/// and the gold score falls below the SFT model's on two of the five seeds.
public struct DPOConfig: Sendable, Equatable {
    /// The loss applied to z = (chosen logratio - rejected logratio), the logratios being
    /// log pi - log pi_ref of each completion.
    public enum LossType: String, Sendable, CaseIterable {
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
    /// Adam's step size (TRL: 1e-6; see above).
    public var learningRate: Double = 1e-4
    /// Pairs per optimiser step.
    public var perDeviceTrainBatchSize: Int = 8
    /// Gradient-norm clipping.
    public var maxGradNorm: Double = 1.0
    /// Held-out metrics every this many steps, and at the last.
    public var evalSteps: Int = 25

    public init() {}

    /// Every setting under TRL's name, declared once: `set`/`show` (behind `dpo.`), help and the trace
    /// derive from these.
    public static let fields: [ConfigField<DPOConfig>] = [
        .beta(\.beta, meaning: "DPO's beta: implicit reward = beta (log pi - log pi_ref)", range: 0.0001...100),
        .lossType(\.lossType,
                  meaning: "sigmoid: -log sigmoid(beta z); hinge: max(0, 1 - beta z); ipo: (z - 1/(2 beta))^2"),
        .number("label_smoothing", "cDPO's share of labels taken as flipped (sigmoid loss; 0: plain DPO)", 0...0.5,
                \.labelSmoothing),
        .learningRate(\.learningRate,
                      meaning: "DPO's Adam step size (TRL's default 1e-6 barely moves this tiny model)"),
        .integer("per_device_train_batch_size", "preference pairs per DPO step", 1...1024, \.perDeviceTrainBatchSize),
        .maxGradNorm(\.maxGradNorm, meaning: "DPO's gradient-norm clipping"),
        .integer("eval_steps", "DPO's held-out metrics every this many steps, and at the last", 1...100_000,
                 \.evalSteps),
    ]
}
