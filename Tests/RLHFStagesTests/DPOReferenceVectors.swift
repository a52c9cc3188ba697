// The reference numbers of shared/vectors/dpo-small.json (float64, TRL 1.16's conventions),
// copied here as data so that the tests never need ../shared.

/// dpo-small.json: three pairs' summed log-probs under policy and reference, beta 0.1, the
/// sigmoid loss; per-pair losses and rewards, and the batch's loss, margins and accuracies.
enum DPOSmall {
    static let beta = 0.1
    static let chosenLogps = [-12.5, -8.0, -20.0]
    static let rejectedLogps = [-14.0, -7.0, -30.0]
    static let referenceChosenLogps = [-13.0, -8.2, -21.0]
    static let referenceRejectedLogps = [-13.5, -7.5, -25.0]

    static let perPairLoss = [0.6443966600735709, 0.7082596763414485, 0.4374879504858856]
    static let chosenRewards = [0.05, 0.01999999999999993, 0.1]
    static let rejectedRewards = [-0.05, 0.05, -0.5]
    static let loss = 0.5967147623003016
    static let margins = 0.2233333333333333
    static let accuracies = 0.6666666666666666
}
