import RLHFEngine
import RLHFStages
import Testing

/// GRPO's group advantages, per-token loss, loss types and metrics, against grpo-small.json and by hand.
@Suite("GRPO")
struct GRPOLossTests {
    static var config: GRPOConfig {
        var config = GRPOConfig()
        config.shared.numGenerations = GRPOSmall.numGenerations
        config.shared.epsilon = GRPOSmall.epsilon
        config.shared.epsilonHigh = GRPOSmall.epsilonHigh
        config.shared.beta = GRPOSmall.beta
        config.shared.samplingAndAdam.maxCompletionLength = GRPOSmall.maxCompletionLength
        return config
    }

    static let lengths = GRPOSmall.logps.map(\.count)

    static func terms(_ config: GRPOConfig, newLogprobs: [Double] = GRPOSmall.logps.flatMap { $0 }) -> GRPOLoss.Terms {
        GRPOLoss.compute(newLogprobs: Tensor(shape: [newLogprobs.count], data: newLogprobs.map(Float.init)),
                         oldLogprobs: GRPOSmall.oldLogps.flatMap { $0 }, refLogprobs: GRPOSmall.refLogps.flatMap { $0 },
                         advantages: GRPOSmall.advantagesGroup, lengths: lengths, config: config,
                         generationTokens: lengths.reduce(0, +))
    }

    @Test("advantages and frac_reward_zero_std match grpo-small.json for scale_rewards group, batch and none",
          arguments: [(GRPOConfig.ScaleRewards.group, GRPOSmall.advantagesGroup, GRPOSmall.fracRewardZeroStdGroup),
                      (.batch, GRPOSmall.advantagesBatch, GRPOSmall.fracRewardZeroStdBatch),
                      (.none, GRPOSmall.advantagesNone, GRPOSmall.fracRewardZeroStdNone)])
    func advantages(scaling: GRPOConfig.ScaleRewards, expected: [Double], frac: Double) {
        let result = GroupAdvantages.compute(rewards: GRPOSmall.rewards, groupSize: 4, scaling: scaling)
        #expect(close(result.breakdowns.map(\.advantage), expected, 1e-12))
        #expect(result.fracRewardZeroStd == frac)
    }

    @Test("advantages by hand: rewards 1, 3 give mean 2, std sqrt(2), A = -+1 / (sqrt 2 + 1e-4)")
    func advantagesByHand() {
        let result = GroupAdvantages.compute(rewards: [1, 3, 5, 5], groupSize: 2, scaling: .group)
        let a = 1 / (2.0.squareRoot() + 1e-4)
        #expect(close(result.breakdowns.map(\.advantage), [-a, a, 0, 0], 1e-12))
        #expect(result.groups.map(\.mean) == [2, 5])
        #expect(result.groups[1].hasZeroStd && !result.groups[0].hasZeroStd)
        #expect(result.fracRewardZeroStd == 0.5)
    }

    @Test("per-token loss, the four loss types and kl match grpo-small.json, with and without bias correction",
          arguments: [true, false])
    func loss(corrected: Bool) {
        var config = Self.config
        config.useBiasCorrectionKL = corrected
        let expectedTerms = corrected ? GRPOSmall.perTokenLossCorrected : GRPOSmall.perTokenLossUncorrected
        let expectedLoss = corrected ? GRPOSmall.lossCorrected : GRPOSmall.lossUncorrected
        for lossType in GRPOConfig.LossType.allCases {
            config.lossType = lossType
            let terms = Self.terms(config)
            #expect(close(terms.perTokenLoss.data.map(Double.init), expectedTerms.flatMap { $0 }, 1e-6))
            #expect(close(Double(terms.loss.item), expectedLoss[lossType.rawValue]!, 1e-6), "\(lossType)")
            let kl = terms.kl!.data.reduce(0.0) { $0 + Double($1) } / Double(terms.kl!.count)
            #expect(close(kl, corrected ? GRPOSmall.klCorrected : GRPOSmall.klUncorrected, 1e-7))
        }
    }

    @Test("clip_ratio low, high and region match grpo-small.json")
    func clipRatios() {
        let terms = Self.terms(Self.config)
        let ratios = GroupStepRecord.clipRatios(low: terms.clippedLow, high: terms.clippedHigh)
        #expect(ratios.low == GRPOSmall.clipRatioLow)
        #expect(close(ratios.high, GRPOSmall.clipRatioHigh, 1e-15))
        #expect(close(ratios.region, GRPOSmall.clipRatioRegion, 1e-15))
    }

    @Test("loss-type weights by hand: lengths 1 and 3, max length 4, 8 generation tokens")
    func weightsByHand() {
        func weights(_ type: GRPOConfig.LossType) -> [[Double]] {
            GRPOLoss.weights(lengths: [1, 3], lossType: type, maxCompletionLength: 4, generationTokens: 8)
        }
        // grpo: 1/(B L_i) = 1/2, 1/6 each: the short completion's token weighs three times more.
        let sixth: Double = 1.0 / 6
        let grpo: [[Double]] = [[0.5], [sixth, sixth, sixth]]
        let bnpo: [[Double]] = [[0.25], [0.25, 0.25, 0.25]]
        let eighths: [[Double]] = [[0.125], [0.125, 0.125, 0.125]]
        #expect(weights(.grpo) == grpo)
        #expect(weights(.bnpo) == bnpo)
        #expect(weights(.drGRPO) == eighths)
        #expect(weights(.dapo) == eighths)
    }

    @Test("with new = old log-probs the ratio is exactly 1, for beta 0 the loss is -mean A, yet the gradient is not 0")
    func ratioOneLossNearZero() {
        var config = Self.config
        config.shared.beta = 0
        config.lossType = .bnpo
        let old = GRPOSmall.oldLogps.flatMap { $0 }
        let terms = Self.terms(config, newLogprobs: old)
        #expect(terms.ratio.data.allSatisfy { $0 == 1 })
        let tokenAdvantages = zip(GRPOSmall.advantagesGroup, Self.lengths).flatMap { [Double](repeating: $0,
                                                                                              count: $1) }
        #expect(close(Double(terms.loss.item), -tokenAdvantages.reduce(0, +) / Double(old.count), 1e-6))
        let check = GroupGradientCheck.largestError(input: old) { new in
            GRPOLoss.compute(newLogprobs: new, oldLogprobs: old, refLogprobs: GRPOSmall.refLogps.flatMap { $0 },
                             advantages: GRPOSmall.advantagesGroup, lengths: Self.lengths, config: config,
                             generationTokens: old.count).loss
        }
        #expect(check.scale > 0.01)
    }

    @Test("the loss's gradient matches finite differences for each loss type, with the k3 term and clipping",
          arguments: GRPOConfig.LossType.allCases)
    func gradient(lossType: GRPOConfig.LossType) {
        var config = Self.config
        config.lossType = lossType
        // Stay off the clip boundaries, where the loss has a kink: shift every log-prob slightly.
        let input = GRPOSmall.logps.flatMap { $0 }.map { $0 + 0.013 }
        let check = GroupGradientCheck.largestError(input: input) { new in
            GRPOLoss.compute(newLogprobs: new, oldLogprobs: GRPOSmall.oldLogps.flatMap { $0 },
                             refLogprobs: GRPOSmall.refLogps.flatMap { $0 }, advantages: GRPOSmall.advantagesGroup,
                             lengths: Self.lengths, config: config, generationTokens: input.count).loss
        }
        #expect(check.error < 2e-3, "largest error \(check.error) for gradients up to \(check.scale)")
        #expect(check.scale > 0.01)
    }
}
