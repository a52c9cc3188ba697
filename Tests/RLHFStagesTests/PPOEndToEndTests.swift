import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// PPO on a tiny randomly initialised world: the properties every iteration must have.
@Suite("PPO end to end")
struct PPOEndToEndTests {
    @Test("before the first step the ratio is exactly 1.0 for every token of the first minibatch")
    func firstRatioIsOne() throws {
        var world = TinyWorld(seed: 7)
        let iteration = try world.iterate()
        let first = try #require(iteration.updates.first)
        #expect(first.epoch == 0 && first.minibatch == 0)
        for (row, rollout) in first.rolloutIndices.enumerated() {
            // Bitwise: the update's forward pass repeats the rollout's computation exactly.
            #expect(first.ratio[row].allSatisfy { $0.bitPattern == (1.0).bitPattern },
                    "rollout \(rollout): ratio \(first.ratio[row])")
            #expect(first.newLogprobs[row] == iteration.batch.rollouts[rollout].logprobs)
            #expect(first.newValues[row] == iteration.batch.rollouts[rollout].values)
        }
        #expect(first.clipfrac == 0)
        #expect(first.approxkl == 0)
        // After the step the policy has moved: later steps see other log-probs.
        #expect(iteration.logprobsAfter != iteration.batch.rollouts.map(\.logprobs))
    }

    @Test("the update takes num_ppo_epochs * num_mini_batches steps, each rollout once per epoch",
          arguments: [(4, 2, 2), (4, 1, 4), (4, 3, 1)])
    func stepCount(batch: Int, epochs: Int, minibatches: Int) throws {
        var config = TinyWorld.config
        config.batchSize = batch
        config.numPPOEpochs = epochs
        config.numMiniBatches = minibatches
        var world = TinyWorld(seed: 11, config: config, promptCount: batch)
        let iteration = try world.iterate()
        #expect(iteration.updates.count == epochs * minibatches)
        for epoch in 0..<epochs {
            let steps = iteration.updates.filter { $0.epoch == epoch }
            #expect(steps.map(\.minibatch) == Array(0..<minibatches))
            #expect(steps.flatMap(\.rolloutIndices).sorted() == Array(0..<batch))
        }
    }

    @Test("the score sits on the last token only: rewards[t] == -beta * kl[t] before it")
    func scoreOnLastToken() throws {
        var world = TinyWorld(seed: 3)
        let batch = try world.iterate().batch
        let beta = batch.klCoef
        #expect(beta == TinyWorld.config.klCoef)
        for rollout in batch.rollouts {
            let last = rollout.tokenCount - 1
            for t in 0..<last {
                #expect(rollout.rewards[t] == -beta * rollout.kl[t])
                #expect(rollout.nonScoreRewards[t] == rollout.rewards[t])
            }
            #expect(rollout.rewards[last] == -beta * rollout.kl[last] + rollout.score)
            // The missing-EOS rule (subtract 1 by default).
            #expect(rollout.score == (rollout.endedWithEOS ? rollout.rewardModelScore : rollout.rewardModelScore - 1))
            // Token arrays cover the response up to and including EOS.
            #expect(rollout.responseTokens.last == world.tokenizer.eosID || !rollout.endedWithEOS)
            for array in [rollout.logprobs, rollout.refLogprobs, rollout.values, rollout.kl, rollout.rewards,
                          rollout.deltas, rollout.rawAdvantages, rollout.advantages, rollout.returns] {
                #expect(array.count == rollout.tokenCount)
            }
        }
    }

    @Test("a rollout that ends with EOS keeps EOS as its last token and its reward-model score")
    func rolloutWithEOS() throws {
        // An untrained model picks EOS about 1 time in 62: search a few seeds of 16 rollouts.
        var config = TinyWorld.config
        config.batchSize = 15
        var found: (Rollout, PPOTrace.RolloutRecord)? = nil
        for seed in UInt64(0)..<10 where found == nil {
            var world = TinyWorld(seed: seed, config: config, promptCount: 12)
            let batch = try world.trainer.collectBatch(prompts: world.prompts, random: &world.random)
            let trace = PPOTrace(batch: batch, updates: [], config: config, tokenizer: world.tokenizer)
            if let index = batch.rollouts.firstIndex(where: \.endedWithEOS) {
                found = (batch.rollouts[index], trace.rollouts[index])
            }
        }
        let (rollout, record) = try #require(found)
        #expect(rollout.responseTokens.last == WorldVocabulary.tokenizer.eosID)
        #expect(rollout.responseText == Array(rollout.responseTokens.dropLast()))
        #expect(rollout.score == rollout.rewardModelScore)
        #expect(rollout.rewards.last == -rollout.kl.last! * TinyWorld.config.klCoef + rollout.score)
        // The trace keeps EOS in the tokens and leaves it out of the text.
        #expect(record.responseTokens == rollout.responseTokens && record.endedWithEOS)
        #expect(record.responseText == WorldVocabulary.tokenizer.decode(Array(rollout.responseTokens.dropLast())))
        #expect(!(record.responseText ?? "").contains("<|endoftext|>"))
    }

    @Test("returns == raw_advantages + values, token by token")
    func returnsAreAdvantagesPlusValues() throws {
        var world = TinyWorld(seed: 5)
        let batch = try world.iterate().batch
        for rollout in batch.rollouts {
            #expect(rollout.returns == zip(rollout.rawAdvantages, rollout.values).map { $0 + $1 })
        }
        // The policy and the reference start equal, so k1 is 0 on every token before the update.
        #expect(batch.rollouts.allSatisfy { $0.kl.allSatisfy { $0 == 0 } })
    }

    @Test("the same seed gives the same trace, byte for byte")
    func sameSeedSameTrace() throws {
        func run() throws -> Data {
            var world = TinyWorld(seed: 2024)
            let iteration = try world.iterate()
            return PPOTraceExport.json(iteration: iteration, config: world.trainer.config, tokenizer: world.tokenizer)
        }
        let first = try run()
        let second = try run()
        #expect(first == second)
        #expect(first.count > 1000)
        var other = TinyWorld(seed: 2025)
        let different = PPOTraceExport.json(iteration: try other.iterate(), config: other.trainer.config,
                                            tokenizer: other.tokenizer)
        #expect(different != first)
    }

    @Test("the exported trace of a real iteration reads back equal, and rebuilds the iteration")
    func exportRoundTrip() throws {
        var world = TinyWorld(seed: 9)
        let iteration = try world.iterate()
        let folder = TemporaryFolder()
        let path = folder.pathFor("trace.json")
        try PPOTraceExport.write(iteration: iteration, config: world.trainer.config, tokenizer: world.tokenizer, to: path)
        let trace = try PPOTraceExport.read(path: path)
        #expect(trace == PPOTrace(iteration: iteration, config: world.trainer.config, tokenizer: world.tokenizer))
        #expect(trace.iteration() == iteration)
        #expect(trace.rollouts.allSatisfy { $0.goldScore != nil && $0.responseText != nil })
        // Written again, the same bytes.
        #expect(PPOTraceExport.json(trace) == FileManager.default.contents(atPath: path))
    }

    @Test("a partial update exports without metrics, and its steps come back")
    func partialUpdate() throws {
        var world = TinyWorld(seed: 13)
        let batch = try world.trainer.collectBatch(prompts: world.prompts, random: &world.random)
        let step = world.trainer.step(batch: batch, epoch: 0, minibatch: 0, indices: [1, 3])
        let trace = PPOTrace(batch: batch, updates: [step], config: world.trainer.config, tokenizer: world.tokenizer)
        let read = try PPOTraceExport.decode(PPOTraceExport.json(trace), file: "partial.json")
        #expect(read == trace)
        #expect(read.metrics == nil && read.iteration() == nil)
        #expect(read.rolloutBatch() == batch)
        #expect(read.minibatchRecords() == [step])
        // Nothing run yet.
        let none = PPOTrace(batch: batch, updates: [], config: world.trainer.config, tokenizer: world.tokenizer)
        #expect(try PPOTraceExport.decode(PPOTraceExport.json(none), file: "none.json").updates.isEmpty)
    }
}
