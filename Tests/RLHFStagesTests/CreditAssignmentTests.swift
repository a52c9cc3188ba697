import RLHFStages
import Testing

/// `CreditAssignment`: raw A_t split into the score's, the KL penalties' and the critic's parts.
@Suite("Credit assignment")
struct CreditAssignmentTests {
    @Test("score on EOS, by hand: two tokens, gamma 1, lambda 0.9")
    func onEOSByHand() throws {
        // Rewards [-0.05, 2.1] (k1 kl [0.5, -1], beta 0.1, score 2), V = [0.3, 0.6], c = 0.9.
        //   score:  t1 = 2,                     t0 = 0.9 * 2 = 1.8
        //   KL:     t1 = 0.1,                   t0 = -0.05 + 0.9 * 0.1 = 0.04
        //   critic: t1 = 0 - 0.6 = -0.6,        t0 = (0.6 - 0.3) + 0.9 * (-0.6) = -0.24
        //   totals 1.6 and 1.5: GAE's A_0 = 0.25 + 0.9 * 1.5 and A_1 = 2.1 - 0.6.
        let rollout = try ScorePositionTests.batch(.eos, lambda: 0.9).rollouts[0]
        let parts = CreditAssignment.split(rollout, gamma: 1, lambda: 0.9)
        #expect(close(parts.map(\.score), [1.8, 2], 1e-12))
        #expect(close(parts.map(\.kl), [0.04, 0.1], 1e-12))
        #expect(close(parts.map(\.critic), [-0.24, -0.6], 1e-12))
        #expect(close(parts.map(\.total), rollout.rawAdvantages, 1e-12))
        #expect(close(rollout.rawAdvantages, [1.6, 1.5], 1e-12))
    }

    @Test("score one slot after EOS, by hand: the slot is the last entry and V_slot joins the critic's part")
    func afterEOSByHand() throws {
        // Rewards [-0.05, 0.1] and the slot's 2; V = [0.3, 0.6] and V_slot = 0.8; c = 0.9.
        //   score:  [0.81 * 2, 0.9 * 2, 2] = [1.62, 1.8, 2]
        //   KL:     [-0.05 + 0.9 * 0.1, 0.1, 0] = [0.04, 0.1, 0]
        //   critic: slot -0.8; EOS 0.8 - 0.6 + 0.9 * (-0.8) = -0.52; t0 0.3 + 0.9 * (-0.52) = -0.168
        let rollout = try ScorePositionTests.batch(.afterEOS, lambda: 0.9).rollouts[0]
        let parts = CreditAssignment.split(rollout, gamma: 1, lambda: 0.9)
        #expect(close(parts.map(\.score), [1.62, 1.8, 2], 1e-12))
        #expect(close(parts.map(\.kl), [0.04, 0.1, 0], 1e-12))
        #expect(close(parts.map(\.critic), [-0.168, -0.52, -0.8], 1e-12))
        let slot = try #require(rollout.afterEOS)
        #expect(close(parts.map(\.total), rollout.rawAdvantages + [slot.rawAdvantage], 1e-12))
    }

    @Test("GroupCredit: a rollout the rule scored pays its gold score at the last token, else the reward model's")
    func groupCreditRewardSource() {
        // k1 kl = [0.5, -0.5], beta 0.1: r = [-0.05, 0.05 + score]; V = [0.3, 0.6], gamma 1, lambda 0.9:
        //   A_1 = r_1 - 0.6,  A_0 = (-0.05 + 0.6 - 0.3) + 0.9 A_1 = 0.25 + 0.9 A_1.
        //   rule (gold 3):  r_1 = 3.05, A = [2.455, 2.45];  model (rm 1): r_1 = 1.05, A = [0.655, 0.45].
        var rollout = Rollout.empty
        rollout.promptTokens = [1]
        rollout.responseTokens = [2, 3]
        rollout.endedWithEOS = true
        rollout.logprobs = [-1, -2]
        rollout.refLogprobs = [-1.5, -1.5]
        rollout.values = [0.3, 0.6]
        rollout.rewardModelScore = 1
        rollout.goldScore = 3
        var config = PPOConfig()
        config.klEstimator = .k1
        config.klCoef = 0.1
        config.gamma = 1
        config.lam = 0.9
        rollout.scoredByRule = true
        let rule = GroupCredit.ppoAdvantages(rollout, config: config)
        #expect(close(rule.rewards, [-0.05, 3.05], 1e-12) && close(rule.advantages, [2.455, 2.45], 1e-12), "\(rule)")
        rollout.scoredByRule = false
        let model = GroupCredit.ppoAdvantages(rollout, config: config)
        #expect(close(model.rewards, [-0.05, 1.05], 1e-12) && close(model.advantages, [0.655, 0.45], 1e-12),
                "\(model)")
        // Scored by the rule but with no gold score (a world without an annotator): the reward model's.
        rollout.scoredByRule = true
        rollout.goldScore = nil
        #expect(GroupCredit.ppoAdvantages(rollout, config: config) == model)
    }
}
