import Testing
import RLHFEngine
import RLHFStages

@Suite("PPO's iteration loop: events at every optimiser step, stopping at a whole step")
struct PPOTrainingTests {
    @Test("two iterations report 2 x 4 optimiser steps and 2 finished iterations, in order")
    func events() {
        var world = TinyWorld(seed: 11)
        var moments: [(IterationEvent.Moment, Int, Int)] = []
        let run = PPOTraining.run(trainer: world.trainer, iterations: 2, promptPool: world.prompts,
                                  random: &world.random) { event in
            moments.append((event.moment, event.iteration, event.optimiserStep))
            #expect(event.algorithm == "ppo" && event.stepsPerIteration == 4 && event.totalIterations == 2)
            return .proceed
        }
        #expect(run.iterations.count == 2 && run.unfinished == nil && run.failure == nil && !run.stoppedEarly)
        let expected: [(IterationEvent.Moment, Int, Int)] = [
            (.optimiserStep, 1, 1), (.optimiserStep, 1, 2), (.optimiserStep, 1, 3), (.optimiserStep, 1, 4),
            (.iterationFinished, 1, 4),
            (.optimiserStep, 2, 1), (.optimiserStep, 2, 2), (.optimiserStep, 2, 3), (.optimiserStep, 2, 4),
            (.iterationFinished, 2, 4)]
        #expect(moments.map { "\($0)" } == expected.map { "\($0)" })
        #expect(run.iterations.allSatisfy { $0.updates.count == 4 })
    }

    @Test("stopped after step 3, the update comes back part-done; finished and continued: the uninterrupted weights")
    func stopAndResume() {
        var whole = TinyWorld(seed: 12)
        let uninterrupted = PPOTraining.run(trainer: whole.trainer, iterations: 2, promptPool: whole.prompts,
                                            random: &whole.random)
        var parted = TinyWorld(seed: 12)
        var steps = 0
        let stopped = PPOTraining.run(trainer: parted.trainer, iterations: 2, promptPool: parted.prompts,
                                      random: &parted.random) { event in
            if event.moment == .optimiserStep { steps += 1 }
            return steps == 3 ? .stop : .proceed
        }
        #expect(stopped.iterations.isEmpty && stopped.stoppedEarly)
        guard var update = stopped.unfinished else { Issue.record("no unfinished update"); return }
        #expect(update.stepsTaken == 3 && update.plan.count == 4 && !update.isFinished)
        parted.trainer.advance(&update)
        #expect(update.isFinished)
        let first = parted.trainer.finish(batch: update.batch, updates: update.records)
        let rest = PPOTraining.run(trainer: parted.trainer, iterations: 1, promptPool: parted.prompts,
                                   random: &parted.random)
        #expect(first.metrics == uninterrupted.iterations[0].metrics)
        #expect(rest.iterations[0].metrics == uninterrupted.iterations[1].metrics)
        #expect(parted.trainer.policy.parameters.map(\.data) == whole.trainer.policy.parameters.map(\.data))
    }

    @Test("a batch that cannot be prepared ends the run with the iterations before it and names the iteration")
    func failure() {
        var config = TinyWorld.config
        config.batchSize = 1
        config.numMiniBatches = 1
        var world = TinyWorld(seed: 13, config: config)
        // A prompt that leaves room for one token only: one response token cannot be whitened.
        let long = Array(repeating: world.prompts[0][0], count: TinyWorld.model.contextLength - 1)
        let run = PPOTraining.run(trainer: world.trainer, iterations: 3, promptPool: [long], random: &world.random)
        #expect(run.iterations.isEmpty)
        #expect(run.failure?.iteration == 1)
        #expect(run.failure.map { $0.error is WhiteningError } == true)
    }

    /// Generators and decoders keep copies of weights (padded products, layer norms, biases, the head): one
    /// made after an update must sample from the updated weights, so this fails if any copy outlives it.
    @Test("a Generator made after a PPO update samples what the updated policy's generate samples, draw for draw")
    func generatorAfterUpdate() throws {
        var world = TinyWorld(seed: 14)
        let model = world.trainer.policy.model
        let sampler = Sampler(temperature: 1.3)
        var draws = RandomGenerator(seed: 140)
        let before = Generator(model: model)
        for prompt in world.prompts {  // the old weights used, so any copy of them is made
            _ = before.generate(prompt: prompt, maxNewTokens: 8, eosID: world.tokenizer.eosID, sampler: sampler,
                                random: &draws)
        }
        let oldParameters = model.parameters.map(\.data)
        let oldLogits = model.nextTokenLogits(world.prompts[0])
        _ = try world.iterate()
        #expect(model.parameters.map(\.data) != oldParameters, "the update changed the policy")
        #expect(model.nextTokenLogits(world.prompts[0]) != oldLogits, "and its logits")
        // The decoder's copies against the recorded graph, which reads the parameters themselves: the reference
        // below (GPT2.generate) decodes with the same copies, so this is what ties them to the new weights.
        for prompt in world.prompts {
            let graph = model.logits([prompt]).data
            let lastRow = Array(graph[(graph.count - graph.count / prompt.count)...])
            #expect(model.nextTokenLogits(prompt).map(\.bitPattern) == lastRow.map(\.bitPattern))
        }
        let after = Generator(model: model)
        var plain = RandomGenerator(seed: 141)
        var fast = plain
        for (turn, prompt) in (world.prompts + world.prompts).enumerated() {
            let expected = model.generate(prompt: prompt, maxNewTokens: 12, eosID: world.tokenizer.eosID,
                                          sampler: sampler, random: &plain)
            let sampled = after.generate(prompt: prompt, maxNewTokens: 12, eosID: world.tokenizer.eosID,
                                         sampler: sampler, random: &fast)
            #expect(sampled == expected && plain == fast, "turn \(turn)")
        }
    }
}
