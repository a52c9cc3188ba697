// The reference numbers of shared/vectors/grpo-small.json and rloo-small.json (float64, TRL 1.16's
// formulas), copied here as data so that the tests never need ../shared.

/// grpo-small.json: two groups of four completions; the second group's rewards are all equal.
enum GRPOSmall {
    static let numGenerations = 4
    static let epsilon = 0.2
    static let epsilonHigh = 0.28
    static let beta = 0.04
    static let maxCompletionLength = 6
    static let rewards = [2.0, -1.0, 0.5, 3.5, 1.0, 1.0, 1.0, 1.0]
    static let logps: [[Double]] = [
            [-1.2, -0.4, -0.9],
            [-2.0, -0.1],
            [-0.7, -0.3, -1.1, -0.2, -0.6],
            [-0.5],
            [-1.0, -1.0],
            [-0.3, -0.8, -0.2],
            [-1.5],
            [-0.9, -0.4, -0.4, -0.7]]
    static let oldLogps: [[Double]] = [
            [-1.1, -0.5, -0.6],
            [-2.3, -0.1],
            [-0.8, -0.2, -1.1, -0.1, -0.9],
            [-0.9],
            [-1.0, -1.2],
            [-0.3, -0.7, -0.2],
            [-1.4],
            [-0.9, -0.5, -0.3, -0.7]]
    static let refLogps: [[Double]] = [
            [-1.0, -0.6, -0.8],
            [-2.1, -0.3],
            [-0.9, -0.3, -1.0, -0.3, -0.7],
            [-0.6],
            [-1.1, -0.9],
            [-0.5, -0.8, -0.1],
            [-1.2],
            [-1.0, -0.4, -0.5, -0.6]]
    static let advantagesGroup = [
        0.3872783356534839, -1.1618350069604517, -0.3872783356534839, 1.1618350069604517, 0.0, 0.0, 0.0, 0.0]
    static let fracRewardZeroStdGroup = 0.5
    static let advantagesBatch = [
        0.5883022551887198, -1.7649067655661597, -0.5883022551887198, 1.7649067655661597, 0.0, 0.0, 0.0, 0.0]
    static let fracRewardZeroStdBatch = 0.0
    static let advantagesNone = [0.75, -2.25, -0.75, 2.25, 0.0, 0.0, 0.0, 0.0]
    static let fracRewardZeroStdNone = 0.5
    static let perTokenLossCorrected: [[Double]] = [
            [-0.3496492886366623, -0.4271807264219519, -0.28674961911426733],
            [1.568574410349363, 1.162584237083571],
            [0.42883678110798734, 0.3504239292939621, 0.3874851723765098, 0.3505990123677868, 0.5230322656189016],
            [-1.4868601457214239],
            [0.00019349672143838427, 0.0002526309439926514],
            [0.0007492301231192756, 0.0, 0.00020683672302590494],
            [0.0018045645885368966],
            [0.00019349672143838427, 0.0, 0.00017508307382473092, 0.00020683672302590494]]
    static let lossCorrected: [String: Double] = [
        "grpo": -0.008155220384585167,
        "bnpo": 0.10594658113915134,
        "dr_grpo": 0.04635162924837871,
        "dapo": 0.10594658113915134,
    ]
    static let klCorrected = 0.00989083213110317
    static let perTokenLossUncorrected: [[Double]] = [
            [-0.34956781896755534, -0.42725952364185027, -0.28669601080436513],
            [1.5685067138171307, 1.162584237083571],
            [0.42875798388808894, 0.3504239292939621, 0.3874851723765098, 0.3506174260154004, 0.5229645690866693],
            [-1.48695531218794],
            [0.00019349672143838427, 0.00020683672302590494],
            [0.0007492301231192756, 0.0, 0.00020683672302590494],
            [0.0019943523030401256],
            [0.00019349672143838427, 0.0, 0.00019349672143838427, 0.00020683672302590494]]
    static let lossUncorrected: [String: Double] = [
        "grpo": -0.008150767445157133,
        "bnpo": 0.10594314041519873,
        "dr_grpo": 0.046350123931649445,
        "dapo": 0.10594314041519873,
    ]
    static let klUncorrected = 0.009804814032288379
    static let clipRatioLow = 0.0
    static let clipRatioHigh = 0.047619047619047616
    static let clipRatioRegion = 0.047619047619047616
}

/// rloo-small.json: two groups of three completions.
enum RLOOSmall {
    static let numGenerations = 3
    static let beta = 0.05
    static let epsilon = 0.2
    static let rewards = [1.0, 2.5, -0.5, 0.0, 0.8, 1.6]
    static let logps: [[Double]] = [
            [-0.4, -1.1],
            [-0.1, -0.2, -0.4],
            [-1.9],
            [-0.6, -0.5],
            [-0.1, -0.8, -0.2],
            [-0.5]]
    static let oldLogps: [[Double]] = [
            [-0.5, -1.0],
            [-0.2, -0.3, -0.4],
            [-1.5],
            [-0.6, -0.6],
            [-0.1, -0.9, -0.2],
            [-0.7]]
    static let refLogps: [[Double]] = [
            [-0.6, -0.8],
            [-0.4, -0.3, -0.6],
            [-1.2],
            [-0.6, -0.5],
            [-0.3, -0.9, -0.1],
            [-0.9]]
    static let sequenceKL = [
        -0.09999999999999998, 0.39999999999999997, -0.30000000000000004, -0.09999999999999998, 0.09999999999999998,
        0.20000000000000007]
    static let rewardsAfterKL = [1.005, 2.48, -0.485, 0.004999999999999999, 0.795, 1.59]
    static let baselines = [0.9975, 0.26, 1.7425, 1.1925000000000001, 0.7975000000000001, 0.4]
    static let advantages = [
        0.00749999999999984, 2.2199999999999998, -2.2275, -1.1875000000000002, -0.0025000000000000577, 1.19]
    static let perSequenceLoss = [
        -0.00749999999999984, -2.6639999999999997, 1.782, 1.3123904652148317, 0.0027629272951891827, -1.428]
    static let loss = -0.1670577679149964
}
