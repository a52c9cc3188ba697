import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// The KL leash: per-token k1 and k3, the shaped reward, and the missing-EOS score rule.
@Suite("KL penalty")
struct KLPenaltyTests {
    @Test("k1 and k3 match ppo-small.json", arguments: PPOSmall.rollouts.indices)
    func estimatorsMatchReference(index: Int) {
        let rollout = PPOSmall.rollouts[index]
        let k1 = KLPenalty.perToken(logprobs: rollout.logprobs, refLogprobs: rollout.refLogprobs, estimator: .k1)
        let k3 = KLPenalty.perToken(logprobs: rollout.logprobs, refLogprobs: rollout.refLogprobs, estimator: .k3)
        #expect(close(k1, rollout.klK1, 1e-12))
        #expect(close(k3, rollout.klK3, 1e-12))
        #expect(k3.allSatisfy { $0 >= 0 })
    }

    @Test("shaped rewards match ppo-small.json: -beta k1 everywhere, plus the score at the last token",
          arguments: PPOSmall.rollouts.indices)
    func shapedRewardsMatchReference(index: Int) {
        let rollout = PPOSmall.rollouts[index]
        let score = MissingEOSPenalty.score(rewardModelScore: rollout.rmScore, endedWithEOS: rollout.endedWithEOS,
                                    penalty: PPOSmall.missingEOSPenalty, mode: .subtract)
        #expect(close(score, rollout.score, 1e-12))
        let rewards = KLPenalty.shapedRewards(kl: rollout.klK1, score: score, beta: PPOSmall.klCoef)
        #expect(close(rewards, rollout.rewards, 1e-12))
    }

    @Test("the missing-EOS rule: the third rollout (no EOS) scores 0.7 - 1 = -0.3; the others keep rm_score")
    func missingEOSSubtract() {
        for rollout in PPOSmall.rollouts {
            let score = MissingEOSPenalty.score(rewardModelScore: rollout.rmScore, endedWithEOS: rollout.endedWithEOS,
                                        penalty: 1.0, mode: .subtract)
            #expect(score == rollout.score)
        }
    }

    @Test("the replace mode, by hand: a cut-off response scores -penalty whatever the reward model said")
    func missingEOSReplace() {
        // rm 0.7, no EOS, penalty 1 -> -1 (lm-human-preferences); with EOS the score stays 0.7.
        #expect(MissingEOSPenalty.score(rewardModelScore: 0.7, endedWithEOS: false, penalty: 1, mode: .replace) == -1)
        #expect(MissingEOSPenalty.score(rewardModelScore: 0.7, endedWithEOS: true, penalty: 1, mode: .replace) == 0.7)
        // However high the reward model scored it: rm 42, penalty 2.5 -> -2.5.
        #expect(MissingEOSPenalty.score(rewardModelScore: 42, endedWithEOS: false, penalty: 2.5, mode: .replace) == -2.5)
        // No penalty configured: the rule is off in both modes.
        #expect(MissingEOSPenalty.score(rewardModelScore: 0.7, endedWithEOS: false, penalty: nil, mode: .replace) == 0.7)
        #expect(MissingEOSPenalty.score(rewardModelScore: 0.7, endedWithEOS: false, penalty: nil, mode: .subtract) == 0.7)
    }

    @Test("k1 and k3 by hand on two tokens")
    func estimatorsByHand() {
        // Token 0: p = 1/2, p_ref = 1/4.  k1 = log(1/2) - log(1/4) = log 2 = 0.693147...
        //          r = p_ref / p = 1/2:  k3 = (1/2 - 1) - log(1/2) = -0.5 + 0.693147 = 0.193147...
        // Token 1: p = 1/4, p_ref = 1/2.  k1 = -log 2 (negative: one token can say "less likely than ref")
        //          r = 2:                k3 = (2 - 1) - log 2 = 0.306853...
        // Token 2: p = p_ref: both are 0.
        let log2 = 0.6931471805599453
        let logprobs = [-log2, -2 * log2, -1.0]
        let refLogprobs = [-2 * log2, -log2, -1.0]
        let k1 = KLPenalty.perToken(logprobs: logprobs, refLogprobs: refLogprobs, estimator: .k1)
        let k3 = KLPenalty.perToken(logprobs: logprobs, refLogprobs: refLogprobs, estimator: .k3)
        #expect(close(k1, [log2, -log2, 0], 1e-12))
        #expect(close(k3, [-0.5 + log2, 1 - log2, 0], 1e-12))
    }

    @Test("shaped rewards by hand: only the last token carries the score")
    func shapedRewardsByHand() {
        // kl = [0.2, -0.1, 0.4], beta = 0.1, score = 2:
        //   r_0 = -0.02, r_1 = +0.01, r_2 = -0.04 + 2 = 1.96
        let rewards = KLPenalty.shapedRewards(kl: [0.2, -0.1, 0.4], score: 2, beta: 0.1)
        #expect(close(rewards, [-0.02, 0.01, 1.96], 1e-12))
        // One token: it is the last, so it gets both.
        #expect(close(KLPenalty.shapedRewards(kl: [0.5], score: 1, beta: 0.2), [0.9], 1e-12))
        // beta = 0: no leash, the score alone.
        #expect(KLPenalty.shapedRewards(kl: [3, 4], score: 1, beta: 0) == [0, 1])
    }
}
