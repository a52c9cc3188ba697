// The reference numbers of shared/vectors/ppo-small.json and reward-loss.json (float64,
// TRL's conventions), copied here as data so that the tests never need ../shared.

/// ppo-small.json: a batch of three rollouts (the third cut off without EOS), its
/// per-token quantities, one minibatch of an update over rollouts 0 and 2, and four
/// steps of the adaptive KL controller.
enum PPOSmall {
    static let klCoef = 0.05
    static let gamma = 1.0
    static let lam = 0.95
    static let cliprange = 0.2
    static let cliprangeValue = 0.2
    static let vfCoef = 0.1
    static let missingEOSPenalty = 1.0

    struct RolloutVector {
        let logprobs: [Double]
        let refLogprobs: [Double]
        let values: [Double]
        let rmScore: Double
        let endedWithEOS: Bool
        let klK1: [Double]
        let klK3: [Double]
        let score: Double
        let rewards: [Double]
        let deltas: [Double]
        let rawAdvantages: [Double]
        let returns: [Double]
        let advantages: [Double]
    }

    static let rollouts: [RolloutVector] = [
        RolloutVector(
            logprobs: [-1.2, -0.35, -2.1, -0.05],
            refLogprobs: [-1.0, -0.6, -1.9, -0.07],
            values: [0.1, 0.25, -0.3, 0.4],
            rmScore: 1.5, endedWithEOS: true,
            klK1: [-0.19999999999999996, 0.25, -0.20000000000000018, 0.020000000000000004],
            klK3: [0.021402758160169816, 0.02880078307140488, 0.02140275816016987, 0.00019867330675530162],
            score: 1.5,
            rewards: [0.009999999999999998, -0.0125, 0.010000000000000009, 1.499],
            deltas: [0.16, -0.5625, 0.71, 1.0990000000000002],
            rawAdvantages: [1.208655125, 1.1038475, 1.75405, 1.0990000000000002],
            returns: [1.308655125, 1.3538475, 1.45405, 1.499],
            advantages: [1.1242771401479759, 1.0013234140791232, 1.764100168864696, 0.9956366313940012]),
        RolloutVector(
            logprobs: [-0.8, -0.1],
            refLogprobs: [-1.1, -0.12],
            values: [-0.2, 0.05],
            rmScore: -0.4, endedWithEOS: true,
            klK1: [0.30000000000000004, 0.01999999999999999],
            klK3: [0.040818220681717865, 0.00019867330675530162],
            score: -0.4,
            rewards: [-0.015000000000000003, -0.401],
            deltas: [0.23500000000000001, -0.451],
            rawAdvantages: [-0.19344999999999998, -0.451],
            returns: [-0.39344999999999997, -0.401],
            advantages: [-0.520584571573711, -0.822726063178287]),
        RolloutVector(
            logprobs: [-2.3, -1.7, -0.9, -0.4, -3.0],
            refLogprobs: [-2.0, -1.75, -1.2, -0.45, -2.5],
            values: [0.0, 0.15, 0.2, -0.1, 0.3],
            rmScore: 0.7, endedWithEOS: false,
            klK1: [-0.2999999999999998, 0.050000000000000044, 0.29999999999999993, 0.04999999999999999, -0.5],
            klK3: [0.04985880757600303, 0.0012294245007140117, 0.040818220681717865, 0.0012294245007140117,
                   0.1487212707001282],
            score: -0.30000000000000004,
            rewards: [0.014999999999999993, -0.0025000000000000022, -0.014999999999999998, -0.0024999999999999996,
                      -0.275],
            deltas: [0.16499999999999998, 0.047500000000000014, -0.315, 0.39749999999999996, -0.575],
            rawAdvantages: [-0.20169703124999994, -0.3859968749999999, -0.4563124999999999, -0.14874999999999994,
                            -0.575],
            returns: [-0.20169703124999994, -0.2359968749999999, -0.2563124999999999, -0.24874999999999994,
                      -0.27499999999999997],
            advantages: [-0.530259470906596, -0.7464684776746615, -0.8289583546717807, -0.46814533773669076,
                         -0.9681950787440701]),
    ]

    /// One minibatch of the update: rollouts 0 and 2; per-token arrays flattened in that order.
    enum Update {
        static let rolloutIndices = [0, 2]
        static let newLogprobs: [[Double]] = [[-1.05, -0.5, -1.6, -0.04], [-2.4, -1.2, -0.95, -0.3, -3.4]]
        static let newValues: [[Double]] = [[0.3, 0.1, -0.05, 0.8], [0.05, 0.5, 0.15, -0.4, 0.9]]
        static let ratio = [1.161834242728283, 0.8607079764250578, 1.6487212707001282, 1.010050167084168,
                            0.9048374180359595, 1.6487212707001282, 0.951229424500714, 1.1051709180756477,
                            0.6703200460356393]
        static let pgLossesUnclipped = [-1.3062236797405433, -0.8618470494790723, -2.9085094720529123,
                                        -1.005642945894629, 0.4797986105442383, 1.2307184570493581,
                                        0.7885295786494967, 0.5173806126992927, 0.6490005697552045]
        static let pgLossesClipped = [-1.3062236797405433, -0.8618470494790723, -2.116920202637635,
                                      -1.005642945894629, 0.4797986105442383, 0.8957621732095938,
                                      0.7885295786494967, 0.5173806126992927, 0.7745560629952561]
        static let pgLoss = -0.1666278395349153
        static let vfLoss = 0.4436902957028386
        static let loss = -0.12225880996463145
        static let clipfrac = 0.2222222222222222
        static let vfClipfrac = 0.2222222222222222
        static let approxkl = 0.04042222222222222
    }

    /// Ziegler et al.'s controller from beta = 0.2, target 6, horizon 10000, 64 rollouts a step.
    enum AdaptiveKL {
        static let initialKLCoef = 0.2
        static let target = 6.0
        static let horizon = 10000.0
        static let steps: [(currentKL: Double, nSteps: Int, klCoefAfter: Double)] = [
            (8.0, 64, 0.200256),
            (12.0, 64, 0.20051232768),
            (3.0, 64, 0.20025567190056962),
            (6.0, 64, 0.20025567190056962),
        ]
    }
}

/// reward-loss.json: loss = mean(-log sigmoid(r_chosen - r_rejected [- margin]))
///                          [+ center_rewards_coefficient * mean((r_chosen + r_rejected)^2)]
enum RewardLossVector {
    static let chosen = [1.2, -0.3, 0.8]
    static let rejected = [0.4, 0.1, 0.9]
    static let margin = [0.5, 0.0, 0.2]
    static let centerRewardsCoefficient = 0.01
    static let loss = 0.6761708594737671
    static let lossWithMargin = 0.7739085804456689
    static let lossWithCentering = 0.6944708594737671
    static let accuracy = 0.3333333333333333
}

/// |a - b| <= tolerance, element by element, same length.
func close(_ a: [Double], _ b: [Double], _ tolerance: Double) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
}

func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool { abs(a - b) <= tolerance }
