import RLHFEngine
import RLHFStages
import Testing

/// RLOO's sequence KL in the reward, leave-one-out baseline and sequence-ratio loss, against rloo-small.json.
@Suite("RLOO")
struct RLOOLossTests {
    static let lengths = RLOOSmall.logps.map(\.count)

    @Test("sequence KL, rewards after KL, baselines and advantages match rloo-small.json")
    func advantages() {
        let kl = LeaveOneOut.sequenceKL(oldLogprobs: RLOOSmall.oldLogps, refLogprobs: RLOOSmall.refLogps)
        #expect(close(kl, RLOOSmall.sequenceKL, 1e-12))
        let result = LeaveOneOut.compute(scores: RLOOSmall.rewards, sequenceKL: kl, groupSize: RLOOSmall.numGenerations,
                                         beta: RLOOSmall.beta, normalize: false)
        #expect(close(result.breakdowns.map(\.reward), RLOOSmall.rewardsAfterKL, 1e-12))
        #expect(close(result.breakdowns.map(\.baseline), RLOOSmall.baselines, 1e-12))
        #expect(close(result.breakdowns.map(\.advantage), RLOOSmall.advantages, 1e-12))
    }

    @Test("leave-one-out by hand: k = 2, each baseline is the other's reward")
    func byHand() {
        let result = LeaveOneOut.compute(scores: [1, 4], sequenceKL: [0, 0], groupSize: 2, beta: 0.05, normalize: false)
        #expect(result.breakdowns.map(\.baseline) == [4, 1])
        #expect(result.breakdowns.map(\.advantage) == [-3, 3])
        let normalised = LeaveOneOut.compute(scores: [1, 4, 0, 0], sequenceKL: [0, 0, 0, 0], groupSize: 2, beta: 0,
                                             normalize: true)
        // A = -3, 3, 0, 0: mean 0, std sqrt(18 / 3) = sqrt 6.
        let a = 3 / (6.0.squareRoot() + 1e-4)
        #expect(close(normalised.breakdowns.map(\.advantage), [-a, a, 0, 0], 1e-12))
    }

    @Test("the per-sequence loss and the loss match rloo-small.json (Float32, so 1e-5)")
    func loss() {
        let new = RLOOSmall.logps.flatMap { $0 }
        let terms = RLOOLoss.compute(newLogprobs: Tensor(shape: [new.count], data: new.map(Float.init)),
                                     oldLogprobs: RLOOSmall.oldLogps.flatMap { $0 }, advantages: RLOOSmall.advantages,
                                     lengths: Self.lengths, epsilon: RLOOSmall.epsilon, epsilonHigh: RLOOSmall.epsilon)
        #expect(close(terms.perSequenceLoss.data.map(Double.init), RLOOSmall.perSequenceLoss, 1e-5))
        #expect(close(Double(terms.loss.item), RLOOSmall.loss, 1e-6))
        // Sequences 1 and 5: ratio exp(0.2) = 1.221 > 1.2 with A > 0 (loss -1.2 A);
        // sequence 2: ratio exp(-0.4) = 0.670 < 0.8 with A < 0 (loss -0.8 A = 1.782).
        #expect(terms.clippedHigh == [false, true, false, false, false, true])
        #expect(terms.clippedLow == [false, false, true, false, false, false])
    }

    @Test("the loss's gradient matches finite differences")
    func gradient() {
        let input = RLOOSmall.logps.flatMap { $0 }.map { $0 + 0.011 }
        let check = GroupGradientCheck.largestError(input: input) { new in
            RLOOLoss.compute(newLogprobs: new, oldLogprobs: RLOOSmall.oldLogps.flatMap { $0 },
                             advantages: RLOOSmall.advantages, lengths: Self.lengths, epsilon: RLOOSmall.epsilon,
                             epsilonHigh: RLOOSmall.epsilon).loss
        }
        #expect(check.error < 2e-3, "largest error \(check.error) for gradients up to \(check.scale)")
        #expect(check.scale > 0.01)
    }
}
