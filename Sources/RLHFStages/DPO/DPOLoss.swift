import RLHFEngine

/// The DPO loss and TRL's DPO metrics, from the log-probabilities of each pair's chosen and
/// rejected completion under the policy pi and the frozen reference pi_ref.
///
/// DPO (Rafailov et al., 2023) reads the policy itself as a reward model: the optimal policy of
/// KL-regularised RLHF satisfies r(x, y) = beta log(pi(y | x) / pi_ref(y | x)) + beta log Z(x), and
/// Z(x) cancels in a Bradley-Terry comparison of two completions of the same prompt. So, with the
/// logratio of a completion rho = log pi(y | x) - log pi_ref(y | x):
///
///   implicit reward   r = beta rho                                  (rewards/chosen, rewards/rejected)
///   z                 = rho_chosen - rho_rejected
///   sigmoid           loss = -(1 - eps) log sigmoid(beta z) - eps log sigmoid(-beta z)   (eps: label_smoothing)
///   hinge             loss = max(0, 1 - beta z)
///   ipo               loss = (z - 1 / (2 beta))^2
///
/// and the batch's loss is the mean over pairs, as in TRL's `DPOTrainer.dpo_loss`.
public enum DPOLoss {
    /// The log-probabilities of a batch of pairs, (B) each. The policy's may carry a graph;
    /// the reference's never do.
    public struct LogProbs {
        public let chosen: Tensor
        public let rejected: Tensor
        public let referenceChosen: Tensor
        public let referenceRejected: Tensor

        public init(chosen: Tensor, rejected: Tensor, referenceChosen: Tensor, referenceRejected: Tensor) {
            let shapes = [rejected.shape, referenceChosen.shape, referenceRejected.shape]
            precondition(shapes.allSatisfy { $0 == chosen.shape },
                         "DPO log-probs of different shapes: \(chosen.shape) \(rejected.shape) "
                         + "\(referenceChosen.shape) \(referenceRejected.shape)")
            self.chosen = chosen
            self.rejected = rejected
            self.referenceChosen = referenceChosen
            self.referenceRejected = referenceRejected
        }
    }

    /// The loss of each pair, (B), differentiable through the policy's log-probs.
    public static func perPairLosses(_ logps: LogProbs, config: DPOConfig) -> Tensor {
        // z = (log pi(y_c) - log pi(y_r)) - (log pi_ref(y_c) - log pi_ref(y_r)), TRL's `logits`
        let z = (logps.chosen - logps.rejected) - (logps.referenceChosen - logps.referenceRejected)
        let beta = Float(config.beta)
        switch config.lossType {
        case .sigmoid:
            // DPO: -log sigmoid(beta z); cDPO mixes in the flipped label with weight eps
            let scaled = z * beta
            let plain = -scaled.logSigmoid()
            guard config.labelSmoothing != 0 else { return plain }
            let epsilon = Float(config.labelSmoothing)
            return plain * (1 - epsilon) - (-scaled).logSigmoid() * epsilon
        case .hinge:
            // hinge (SLiC): max(0, 1 - beta z)
            return (z * -beta + 1).clamped(min: 0, max: .greatestFiniteMagnitude)
        case .ipo:
            // IPO: (z - 1 / (2 beta))^2
            return (z - 1 / (2 * beta)).square()
        }
    }

    /// The batch's loss: the mean of the per-pair losses, a scalar.
    public static func loss(_ logps: LogProbs, config: DPOConfig) -> Tensor {
        perPairLosses(logps, config: config).mean()
    }

    /// TRL's metrics for a batch, each a mean over its pairs: `rewards/chosen` and
    /// `rewards/rejected` (beta rho), `rewards/accuracies` (the share of pairs whose chosen
    /// reward is strictly larger), `rewards/margins` (chosen minus rejected reward),
    /// `logps/chosen` and `logps/rejected` (the policy's log-probs).
    public static func metrics(_ logps: LogProbs, beta: Double, prefix: String = "") -> [Metric] {
        let count = Double(logps.chosen.count)
        let chosen = logps.chosen.data.map(Double.init), rejected = logps.rejected.data.map(Double.init)
        let chosenRewards = implicitRewards(chosen, logps.referenceChosen.data.map(Double.init), beta: beta)
        let rejectedRewards = implicitRewards(rejected, logps.referenceRejected.data.map(Double.init), beta: beta)
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / count }
        return [
            Metric("\(prefix)rewards/chosen", mean(chosenRewards)),
            Metric("\(prefix)rewards/rejected", mean(rejectedRewards)),
            Metric("\(prefix)rewards/accuracies", mean(zip(chosenRewards, rejectedRewards).map { $0 > $1 ? 1 : 0 })),
            Metric("\(prefix)rewards/margins", mean(zip(chosenRewards, rejectedRewards).map { $0 - $1 })),
            Metric("\(prefix)logps/chosen", mean(chosen)),
            Metric("\(prefix)logps/rejected", mean(rejected)),
        ]
    }

    /// The implicit reward of each completion: beta (log pi - log pi_ref).
    public static func implicitRewards(_ logps: [Double], _ referenceLogps: [Double], beta: Double) -> [Double] {
        zip(logps, referenceLogps).map { beta * ($0 - $1) }
    }
}
