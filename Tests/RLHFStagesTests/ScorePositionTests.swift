import RLHFEngine
import RLHFStages
import Testing

/// `score_position`: the score on EOS (TRL 0.11.4's `step()`) or one slot after it (TRL's PPOv2 trainer).
@Suite("Score position")
struct ScorePositionTests {
    /// Two response tokens (a, EOS): k1 kl = [0.5, -1], beta 0.1, score 2, V = [0.3, 0.6], V(s after EOS) = 0.8.
    static func batch(_ position: PPOConfig.ScorePosition, lambda: Double, endedWithEOS: Bool = true,
                      responseLength: Int = 16) throws -> RolloutBatch {
        let record = rolloutRecord(
            promptTokens: [5, 6], responseTokens: [7, endedWithEOS ? 1 : 8], endedWithEOS: endedWithEOS,
            logprobs: [-1, -2], refLogprobs: [-1.5, -1], values: [0.3, 0.6], rmScore: 2, score: 2, goldScore: nil,
            kl: [], nonScoreRewards: [], rewards: [], deltas: [], rawAdvantages: [], advantages: [], returns: [],
            valueAfterLast: 0.8)
        var config = PPOConfig()
        config.scorePosition = position
        config.lam = lambda
        config.responseLength = responseLength
        let trace = PPOTrace(config: config, eosTokenID: 1, padTokenID: 0, klCoefUsed: 0.1, rollouts: [record],
                             updates: [], metrics: nil)
        return try PPOTrainer.prepare(trace.rolloutBatch().rollouts, config: config, klCoef: 0.1)
    }

    @Test("after_eos by hand: the slot's V stays in GAE, A_EOS = -b kl + V_slot - V_EOS + gamma lambda (score - V_slot)")
    func afterEOSByHand() throws {
        // gamma 1, lambda 0.9. Rewards [-0.05, +0.1] and the slot's reward 2 (the score).
        //   slot:  delta = 2 - 0.8 = 1.2, A = 1.2, return = 2
        //   EOS:   delta = 0.1 + 0.8 - 0.6 = 0.3, A = 0.3 + 0.9 * 1.2 = 1.38, return = 1.98
        //   t = 0: delta = -0.05 + 0.6 - 0.3 = 0.25, A = 0.25 + 0.9 * 1.38 = 1.492, return = 1.792
        let rollout = try Self.batch(.afterEOS, lambda: 0.9).rollouts[0]
        #expect(close(rollout.rewards, [-0.05, 0.1], 1e-12))
        #expect(close(rollout.deltas, [0.25, 0.3], 1e-12))
        #expect(close(rollout.rawAdvantages, [1.492, 1.38], 1e-12))
        #expect(close(rollout.returns, [1.792, 1.98], 1e-12))
        let slot = try #require(rollout.afterEOS)
        #expect(close([slot.reward, slot.delta, slot.rawAdvantage, slot.return], [2, 1.2, 1.2, 2], 1e-12))
    }

    @Test("eos by hand, and the difference at EOS, (1 - lambda)(score - V_slot) at gamma 1, that vanishes at lambda 1")
    func eosAgainstAfterEOS() throws {
        // Score on EOS: EOS reward 0.1 + 2 = 2.1, delta = 2.1 - 0.6 = 1.5 = A; t = 0: A = 0.25 + 0.9 * 1.5 = 1.6.
        let onEOS = try Self.batch(.eos, lambda: 0.9).rollouts[0]
        #expect(onEOS.afterEOS == nil)
        #expect(close(onEOS.rawAdvantages, [1.6, 1.5], 1e-12))
        // 1.5 - 1.38 = 0.12 = (1 - 0.9) * (2 - 0.8).
        let after = try Self.batch(.afterEOS, lambda: 0.9).rollouts[0]
        #expect(abs((onEOS.rawAdvantages[1] - after.rawAdvantages[1]) - 0.1 * 1.2) < 1e-12)
        // lambda = 1: the slot's value cancels, and both placements give the same advantages.
        let onEOSAtOne = try Self.batch(.eos, lambda: 1).rollouts[0]
        let afterAtOne = try Self.batch(.afterEOS, lambda: 1).rollouts[0]
        #expect(close(onEOSAtOne.rawAdvantages, afterAtOne.rawAdvantages, 1e-12))
    }

    @Test("no slot after a cut-off response or an EOS in the last slot of response_length (PPOv2's actual_end)")
    func noSlotWithoutRoom() throws {
        #expect(try Self.batch(.afterEOS, lambda: 0.9, endedWithEOS: false).rollouts[0].afterEOS == nil)
        let full = try Self.batch(.afterEOS, lambda: 0.9, responseLength: 2).rollouts[0]
        #expect(full.afterEOS == nil)
        #expect(close(full.rawAdvantages, [1.6, 1.5], 1e-12))
    }

    @Test("a batch remembers the settings it was computed with, and a trace keeps the slot")
    func batchKeepsItsSettings() throws {
        let batch = try Self.batch(.afterEOS, lambda: 0.9)
        #expect(batch.config.scorePosition == .afterEOS && batch.config.lam == 0.9)
        var today = batch.config
        today.gamma = 0.9
        #expect(batch.config.batchSettingsDiffering(from: today).map(\.name) == ["gamma"])
        #expect(today.keepingBatchSettings(of: batch.config).gamma == 1)
        let trace = PPOTrace(batch: batch, updates: [], config: batch.config, eosTokenID: 1, padTokenID: 0)
        let back = try PPOTraceExport.decode(PPOTraceExport.json(trace), file: "t.json")
        #expect(back == trace)
        #expect(back.rollouts[0].afterEOS?.rawAdvantage == batch.rollouts[0].afterEOS?.rawAdvantage)
    }
}
