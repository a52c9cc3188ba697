import Foundation
import Testing
import RLHFEngine
import RLHFStages
import RLHFSimulator

/// What the built-in world must do: an SFT model that learned the data's style, a
/// reward model that agrees with the annotator on held-out pairs, and PPO that raises
/// the reward with the KL leash and hacks it without.
@Suite("The built-in world")
struct WorldBehaviourTests {
    static func world() throws -> World { try WorldStore.load(from: WorldLocation.worldFolder) }

    @Test("SFT lowers the held-out loss and samples in the SFT data's style")
    func supervisedFineTuning() throws {
        let world = try Self.world()
        let heldOut = world.sftHeldOut.map(\.tokens)
        let baseLoss = SupervisedTrainer(model: world.base, tokenizer: world.tokenizer).evaluate(heldOut)
        let sftLoss = SupervisedTrainer(model: world.sft, tokenizer: world.tokenizer).evaluate(heldOut)
        #expect(sftLoss < baseLoss / 3, "held-out loss: base \(baseLoss), SFT \(sftLoss)")
        // Style: SFT samples end with EOS after "." or "!", like every completion in the data.
        var random = RandomGenerator(seed: 1)
        let prompts = WorldText.allPrompts.map { try! world.tokenizer.encode($0, source: "test") }
        var styled = 0
        for prompt in prompts {
            let sample = world.sft.generate(prompt: prompt, maxNewTokens: 16, eosID: world.tokenizer.eosID,
                                            sampler: Sampler(), random: &random)
            let words = world.tokenizer.strings(Array(sample.tokens.dropLast()))
            if sample.endedWithEOS && [".", "!"].contains(words.last ?? "") && words.count >= 4 { styled += 1 }
        }
        #expect(styled >= prompts.count * 4 / 5, "\(styled) of \(prompts.count) samples in style")
        // The base model, given a prompt, ends it: it never saw a prompt followed by a description.
        let baseSample = world.base.generate(prompt: prompts[0], maxNewTokens: 16, eosID: world.tokenizer.eosID,
                                             sampler: .greedy, random: &random)
        #expect(baseSample.tokens == [world.tokenizer.eosID])
    }

    @Test("held-out data is held out: no held-out pair is trained on, and held-out SFT sentences are new")
    func heldOutIsHeldOut() throws {
        let world = try Self.world()
        // Preferences: a held-out pair may not appear in training, in either order.
        func key(_ pair: PreferencePair) -> [[Int]] {
            let (a, b) = (pair.chosen.response, pair.rejected.response)
            return [pair.chosen.prompt] + (a.lexicographicallyPrecedes(b) ? [a, b] : [b, a])
        }
        let trainedPairs = Set(world.preferenceTraining.map(key))
        let leaked = world.preferenceHeldOut.filter { trainedPairs.contains(key($0)) }
        #expect(world.preferenceHeldOut.count >= 100)
        #expect(leaked.isEmpty, "\(leaked.count) of \(world.preferenceHeldOut.count) held-out pairs are in training")
        // SFT: no held-out (prompt, completion) is trained on, and most held-out completions are
        // sentences the SFT data never shows (nor the pre-training corpus).
        let trainedExamples = Set(world.sftTraining.map { [$0.promptText, $0.completionText] })
        let trainedSentences = Set(world.sftTraining.map(\.completionText)).union(WorldText.corpus)
        #expect(world.sftHeldOut.count >= 20)
        #expect(world.sftHeldOut.allSatisfy { !trainedExamples.contains([$0.promptText, $0.completionText]) })
        let novel = world.sftHeldOut.filter { !trainedSentences.contains($0.completionText) }
        #expect(novel.count * 2 > world.sftHeldOut.count, "\(novel.count) of \(world.sftHeldOut.count) held-out completions are new")
    }

    @Test("the reward model reaches at least 90% held-out accuracy and ranks the seed's pair as labelled")
    func rewardModel() throws {
        let world = try Self.world()
        let metrics = RewardTrainer(model: world.reward).evaluate(world.preferenceHeldOut)
        let accuracy = try #require(metrics.first { $0.name == "eval_accuracy" }).value
        #expect(accuracy >= 0.9, "held-out accuracy \(accuracy)")
        let seedLine = #"{"input_text": "Create a description for Plantation Palms.", "candidate_0": "Enjoy some fun in the sun at Gulf Shores.", "candidate_1": "A Tranquil Oasis of Natural Beauty.", "choice": 0}"#
        let pair = try DataFiles.preferencePairs(JSONLines.parse(seedLine, file: "seed"),
                                                 tokenizer: world.tokenizer, contextLength: 32)[0]
        #expect(world.reward.score(pair.chosen) > world.reward.score(pair.rejected))
        #expect(world.annotator.choose(prompt: pair.chosen.prompt, pair.chosen.response, pair.rejected.response) == 0)
    }
}

@Suite("PPO on the built-in world")
struct PPOOutcomeTests {
    /// A fresh session, `seed S`, the given settings, `train ppo 50` with the held-out
    /// evaluation (8 samples per prompt, as `evaluate`) before and after, then `batch 16`.
    struct Outcome {
        let before: HeldOutEvaluation, after: HeldOutEvaluation
        /// The largest objective/kl of an iteration, and the largest approxkl of any minibatch
        /// step after iteration 20.
        let maxKL: Double, maxApproxKLAfter20: Double
        /// The batch of 16 collected after training.
        let finalBatch: RolloutBatch
    }

    static func run(seed: UInt64, change: (inout PPOConfig) -> Void = { _ in }) throws -> Outcome {
        let session = try WorldLocation.startSession(seed: 0)
        session.reseed(seed)
        change(&session.config)
        let prompts = session.data.heldOutPrompts.map(\.tokens)
        let before = HeldOutEvaluation.run(collector: session.trainer.collector, prompts: prompts, perPrompt: 8, seed: HeldOutEvaluation.standardSeed)
        var maxKL = 0.0, maxApproxKL = 0.0
        for iteration in 1...50 {
            let batch = (0..<session.config.batchSize).map { _ in session.randomTrainingPrompt() }
            let result = try session.trainer.iterate(prompts: batch, random: &session.random)
            maxKL = max(maxKL, result.metrics.first { $0.name == "objective/kl" }!.value)
            if iteration > 20 { maxApproxKL = max(maxApproxKL, result.updates.map(\.approxkl).max() ?? 0) }
        }
        let after = HeldOutEvaluation.run(collector: session.trainer.collector, prompts: prompts, perPrompt: 8, seed: HeldOutEvaluation.standardSeed)
        let finalBatch = try session.trainer.collectBatch(prompts: (0..<16).map { _ in session.randomTrainingPrompt() },
                                                          random: &session.random)
        return Outcome(before: before, after: after, maxKL: maxKL, maxApproxKLAfter20: maxApproxKL, finalBatch: finalBatch)
    }

    /// Seed 2 is lesson 9's. Over seeds 1-7 the defaults kept every step's approxkl <= 0.045
    /// and at most one bad rollout; six of the seven kept >= 6 distinct responses (seed 4: 5). (Measured
    /// with the reward model's 150 steps; with 175, `batch 16` after 50 iterations holds >= 6 distinct
    /// responses on six of the seven, seed 1: 5.)
    @Test("the default trust region holds: small steps, and after 50 iterations a fluent, varied policy")
    func trustRegion() throws {
        let outcome = try Self.run(seed: 2)
        #expect(outcome.maxApproxKLAfter20 <= 0.05, "approxkl up to \(outcome.maxApproxKLAfter20) after iteration 20")
        let rollouts = outcome.finalBatch.rollouts
        let bad = rollouts.filter { $0.goldScore! <= -3 }.count
        let distinct = Set(rollouts.map(\.responseTokens)).count
        #expect(bad <= 1, "\(bad) of 16 rollouts with gold <= -3")
        #expect(distinct >= 6, "\(distinct) distinct responses in 16")
        #expect(outcome.after.goldScore! > outcome.before.goldScore!, "gold \(outcome.before.goldScore!) -> \(outcome.after.goldScore!)")
    }

    /// What lesson 10 does on seed 5: the defaults, then kl_coef 0 with the steps of
    /// learning_rate 3e-4 (with the default's small steps, seed 5 at beta 0 ends 50 iterations at a held-out
    /// KL of 10.8 and gold above SFT's; seed 1 needed 150 to reach 20).
    /// Over seeds 1 to 8 the free run's gold fell below SFT's and its KL ran away (tools/reward_hacking.py).
    @Test("with the KL leash, 50 iterations raise the held-out reward; without it, the policy hacks the reward model")
    func leashAndHacking() throws {
        let leashed = try Self.run(seed: 5)
        #expect(leashed.after.rewardModelScore > leashed.before.rewardModelScore + 1,
                "held-out score \(leashed.before.rewardModelScore) -> \(leashed.after.rewardModelScore)")
        #expect(leashed.after.kl < 15, "held-out KL \(leashed.after.kl)")
        #expect(leashed.after.goldScore! > leashed.before.goldScore!, "fluent and liked: gold \(leashed.before.goldScore!) -> \(leashed.after.goldScore!)")

        let free = try Self.run(seed: 5) { $0.klCoef = 0; $0.learningRate = 3e-4 }
        #expect(free.after.rewardModelScore > leashed.after.rewardModelScore,
                "proxy: beta 0 \(free.after.rewardModelScore) vs default \(leashed.after.rewardModelScore)")
        #expect(free.after.goldScore! < free.before.goldScore!, "gold with beta 0: \(free.before.goldScore!) -> \(free.after.goldScore!)")
        #expect(free.after.kl > 2 * leashed.after.kl, "KL: beta 0 \(free.after.kl) vs default \(leashed.after.kl)")
    }
}

@Suite("The shipped world is reproducible")
struct WorldReproducibilityTests {
    @Test("building the world from its recipe gives the shipped models and data, bit for bit")
    func rebuildMatchesShipped() throws {
        let shipped = try WorldStore.load(from: WorldLocation.worldFolder)
        let rebuilt = try WorldBuilder.build()
        for (name, built, stored) in [("base", rebuilt.base, shipped.base), ("sft", rebuilt.sft, shipped.sft),
                                       ("reward", rebuilt.reward.backbone, shipped.reward.backbone)] {
            for ((parameter, a), (_, b)) in zip(built.namedParameters(), stored.namedParameters()) {
                #expect(a.data == b.data, "\(name) \(parameter) differs from lessons/world (re-run `rlhf world build`?)")
            }
        }
        #expect(rebuilt.reward.head.weight.data == shipped.reward.head.weight.data)
        #expect(rebuilt.sftTraining.map(\.tokens) == shipped.sftTraining.map(\.tokens))
        #expect(rebuilt.sftHeldOut.map(\.tokens) == shipped.sftHeldOut.map(\.tokens))
        #expect(rebuilt.preferenceTraining.map(\.chosen) == shipped.preferenceTraining.map(\.chosen))
        #expect(rebuilt.preferenceHeldOut.map(\.rejected) == shipped.preferenceHeldOut.map(\.rejected))
    }
}
