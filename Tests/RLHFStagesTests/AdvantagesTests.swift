import Foundation
import RLHFStages
import Testing

/// Credit assignment: GAE and whitening.
@Suite("GAE and whitening")
struct AdvantagesTests {
    @Test("GAE matches ppo-small.json: deltas, advantages, returns", arguments: PPOSmall.rollouts.indices)
    func gaeMatchesReference(index: Int) {
        let rollout = PPOSmall.rollouts[index]
        let gae = Advantages.gae(rewards: rollout.rewards, values: rollout.values,
                                 gamma: PPOSmall.gamma, lambda: PPOSmall.lam)
        #expect(close(gae.deltas, rollout.deltas, 1e-12))
        #expect(close(gae.advantages, rollout.rawAdvantages, 1e-12))
        #expect(close(gae.returns, rollout.returns, 1e-12))
    }

    @Test("whitening over all 11 tokens of the batch matches ppo-small.json")
    func whiteningMatchesReference() throws {
        let whitened = try Advantages.whiten(PPOSmall.rollouts.map(\.rawAdvantages))
        for (group, rollout) in zip(whitened, PPOSmall.rollouts) {
            #expect(close(group, rollout.advantages, 1e-9))
        }
    }

    @Test("whitening's mean and spread by hand: 1, 2, 3 give 2 and sqrt(1 + 1e-8); one value has none")
    func whiteningStatistics() throws {
        let (mean, spread) = try Advantages.whiteningStatistics([1, 2, 3])
        #expect(mean == 2 && spread == (1 + 1e-8).squareRoot())
        let error = #expect(throws: WhiteningError.self) { try Advantages.whiteningStatistics([5]) }
        #expect(error?.tokenCount == 1)
        let whitened = try Advantages.whiten([[1, 2], [3]])
        #expect(whitened == [[(1 - mean) * (1 / spread), 0], [(3 - mean) * (1 / spread)]])
    }

    @Test("GAE by hand on two tokens")
    func gaeByHand() {
        // rewards [0, 1], values [0.5, 0.2], gamma 1, lambda 0.5; V after the last token is 0.
        //   t=1: delta = 1 + 1*0   - 0.2 = 0.8;  A_1 = 0.8
        //   t=0: delta = 0 + 1*0.2 - 0.5 = -0.3; A_0 = -0.3 + 1*0.5*0.8 = 0.1
        //   returns = A + V = [0.6, 1.0]
        let gae = Advantages.gae(rewards: [0, 1], values: [0.5, 0.2], gamma: 1, lambda: 0.5)
        #expect(close(gae.deltas, [-0.3, 0.8], 1e-12))
        #expect(close(gae.advantages, [0.1, 0.8], 1e-12))
        #expect(close(gae.returns, [0.6, 1.0], 1e-12))

        // gamma 0.5, lambda 1 on the same episode:
        //   t=1: delta = 0.8; A_1 = 0.8
        //   t=0: delta = 0 + 0.5*0.2 - 0.5 = -0.4; A_0 = -0.4 + 0.5*1*0.8 = 0
        let discounted = Advantages.gae(rewards: [0, 1], values: [0.5, 0.2], gamma: 0.5, lambda: 1)
        #expect(close(discounted.deltas, [-0.4, 0.8], 1e-12))
        #expect(close(discounted.advantages, [0, 0.8], 1e-12))
        #expect(close(discounted.returns, [0.5, 1.0], 1e-12))

        // lambda 0: A_t is the one-step TD residual.
        let oneStep = Advantages.gae(rewards: [0, 1], values: [0.5, 0.2], gamma: 1, lambda: 0)
        #expect(oneStep.advantages == oneStep.deltas)
    }

    @Test("whitening by hand: Bessel's n - 1 and the 1e-8")
    func whiteningByHand() throws {
        // [1] and [2, 3] together: mean 2, var = ((1-2)^2 + 0 + (3-2)^2) / (3 - 1) = 1,
        // scale = 1/sqrt(1 + 1e-8) = 0.999999995.
        let scale = 1 / (1 + 1e-8).squareRoot()
        let whitened = try Advantages.whiten([[1], [2, 3]])
        #expect(whitened.count == 2 && whitened[0].count == 1 && whitened[1].count == 2)
        #expect(close(whitened.flatMap { $0 }, [-scale, 0, scale], 1e-15))
        // Without the mean shift (TRL's whiten_rewards): (x - 2) * scale + 2.
        let kept = try Advantages.whiten([[1], [2, 3]], shiftMean: false)
        #expect(close(kept.flatMap { $0 }, [2 - scale, 2, 2 + scale], 1e-15))
        // Two equal values: variance 0, so the 1e-8 keeps it finite (and zero).
        let flat = try Advantages.whiten([[5, 5]])
        #expect(flat == [[0, 0]])
    }

    @Test("whitening a single token throws WhiteningError with a clear message, not NaN")
    func whiteningOneTokenThrows() {
        let one = #expect(throws: WhiteningError.self) { try Advantages.whiten([[0.7]]) }
        #expect(one?.tokenCount == 1)
        let none = #expect(throws: WhiteningError.self) { try Advantages.whiten([[], []]) }
        #expect(none?.tokenCount == 0)
        let message = one?.description ?? ""
        #expect(message.contains("1 token:"))
        #expect(message.contains("at least 2"))
        #expect(!message.contains("nan") && !message.contains("NaN"))
    }
}
