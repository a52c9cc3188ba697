import RLHFEngine

/// The pairwise loss of a reward model (Bradley-Terry), as TRL's RewardTrainer computes it:
///
///   loss = mean( -log sigmoid(r_chosen - r_rejected - margin) )
///          + center_rewards_coefficient * mean( (r_chosen + r_rejected)^2 )
///
/// The first term is the negative log-likelihood that the chosen response wins under
/// the Bradley-Terry model P(chosen > rejected) = sigmoid(r_chosen - r_rejected). The
/// optional margin asks for a wider gap; the optional centring term (Eisenstein et
/// al., 2023) keeps rewards near zero, since the first term only sees differences.
public enum BradleyTerryLoss {
    /// - Parameters:
    ///   - chosen: rewards of the preferred responses, (B)
    ///   - rejected: rewards of the other responses, (B)
    ///   - margins: per-pair margins, or nil for none
    ///   - centerCoefficient: TRL's `center_rewards_coefficient`, or nil for none
    public static func loss(chosen: Tensor, rejected: Tensor, margins: [Float]? = nil,
                            centerCoefficient: Float? = nil) -> Tensor {
        precondition(chosen.shape == rejected.shape, "chosen \(chosen.shape) and rejected \(rejected.shape) differ")
        var difference = chosen - rejected
        if let margins {
            difference = difference - Tensor(shape: chosen.shape, data: margins)
        }
        var loss = -difference.logSigmoid().mean()
        if let centerCoefficient, centerCoefficient != 0 {
            loss = loss + (chosen + rejected).square().mean() * centerCoefficient
        }
        return loss
    }

    /// TRL's reward metrics for a batch of reward pairs: `accuracy` (the fraction with
    /// r_chosen > r_rejected), `margin` (mean r_chosen - r_rejected), and the mean,
    /// minimum and maximum of all rewards.
    public static func metrics(chosen: [Float], rejected: [Float], prefix: String = "") -> [Metric] {
        let count = Double(chosen.count)
        let correct = zip(chosen, rejected).filter { $0 > $1 }.count
        let margin = zip(chosen, rejected).reduce(0.0) { $0 + Double($1.0 - $1.1) } / count
        let all = (chosen + rejected).map(Double.init)
        return [
            Metric("\(prefix)accuracy", Double(correct) / count),
            Metric("\(prefix)margin", margin),
            Metric("\(prefix)mean_reward", all.reduce(0, +) / Double(all.count)),
            Metric("\(prefix)min_reward", all.min() ?? 0),
            Metric("\(prefix)max_reward", all.max() ?? 0),
        ]
    }
}
