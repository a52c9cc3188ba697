import RLHFEngine
import RLHFStages
import Testing

/// GRPOTrainer and RLOOTrainer on the tiny random world: groups, the first ratio, what Adam touches, stopping.
@Suite("Group trainers")
struct GroupTrainerTests {
    static func grpo(_ world: TinyWorld, configure: (inout GRPOConfig) -> Void = { _ in }) -> GRPOTrainer {
        var config = GRPOConfig()
        config.shared.numGenerations = 4
        config.shared.generationBatchSize = 8
        config.shared.samplingAndAdam.maxCompletionLength = 6
        config.shared.samplingAndAdam.learningRate = 1e-2
        configure(&config)
        return GRPOTrainer(policy: world.trainer.policy, reference: world.reference, rewardModel: world.rewardModel,
                           annotator: Annotator(tokenizer: world.tokenizer), tokenizer: world.tokenizer, config: config)
    }

    static func rloo(_ world: TinyWorld) -> RLOOTrainer {
        var config = RLOOConfig()
        config.shared.numGenerations = 3
        config.shared.generationBatchSize = 6
        config.shared.samplingAndAdam.maxCompletionLength = 6
        config.shared.samplingAndAdam.learningRate = 1e-2
        return RLOOTrainer(policy: world.trainer.policy, reference: world.reference, rewardModel: world.rewardModel,
                           annotator: Annotator(tokenizer: world.tokenizer), tokenizer: world.tokenizer, config: config)
    }

    @Test("a GRPO batch holds num_generations completions of each prompt, in a row, with the group advantages")
    func groups() throws {
        var world = TinyWorld(seed: 3)
        let trainer = Self.grpo(world)
        let batch = try trainer.collectBatch(prompts: Array(world.prompts.prefix(2)), random: &world.random)
        #expect(batch.rollouts.count == 8 && batch.groupCount == 2)
        #expect(batch.rollouts[0..<4].allSatisfy { $0.promptTokens == world.prompts[0] })
        #expect(batch.rollouts[4..<8].allSatisfy { $0.promptTokens == world.prompts[1] })
        let expected = GroupAdvantages.compute(rewards: batch.rollouts.map(\.rewardModelScore), groupSize: 4,
                                               scaling: .group).breakdowns.map(\.advantage)
        #expect(batch.advantages == expected)
    }

    @Test("GRPO's first step has every ratio exactly 1; Adam moves the policy and leaves the value head alone")
    func firstStep() throws {
        var world = TinyWorld(seed: 4)
        let trainer = Self.grpo(world) { $0.shared.numIterations = 2 }
        let head = world.trainer.policy.valueHead.parameters.map(\.data)
        let before = world.trainer.policy.model.parameters.map(\.data)
        let iteration = try trainer.iterate(prompts: Array(world.prompts.prefix(2)), random: &world.random)
        #expect(iteration.steps.count == 2)
        #expect(iteration.steps[0].units.allSatisfy { $0.ratio == 1 && $0.clip == .none })
        #expect(iteration.steps[1].units.contains { $0.ratio != 1 })
        #expect(world.trainer.policy.valueHead.parameters.map(\.data) == head)
        #expect(world.trainer.policy.model.parameters.map(\.data) != before)
        let names = iteration.metrics.map(\.name)
        for name in ["reward", "reward_std", "frac_reward_zero_std", "kl", "entropy", "clip_ratio/low_mean",
                     "clip_ratio/high_mean", "clip_ratio/region_mean", "completions/mean_length"] {
            #expect(names.contains(name), "\(name)")
        }
    }

    @Test("the recorded step loss is the sum of weight * term over the units")
    func lossIsWeightedSum() throws {
        var world = TinyWorld(seed: 5)
        for lossType in GRPOConfig.LossType.allCases {
            let trainer = Self.grpo(world) { $0.lossType = lossType }
            let step = try trainer.iterate(prompts: Array(world.prompts.prefix(2)), random: &world.random).steps[0]
            let sum = step.units.reduce(0.0) { $0 + $1.weight * $1.term }
            #expect(abs(sum - step.loss) < 1e-5, "\(lossType)")
        }
    }

    @Test("every metric GRPO and RLOO report is a declared GroupMetric, named once; between them, all are")
    func declaredMetricNames() throws {
        var world = TinyWorld(seed: 4)
        let grpo = try Self.grpo(world).iterate(prompts: Array(world.prompts.prefix(2)), random: &world.random)
        let rloo = try Self.rloo(world).iterate(prompts: Array(world.prompts.prefix(2)), random: &world.random)
        let declared = Set(GroupMetric.allCases.map(\.name))
        #expect(declared.count == GroupMetric.allCases.count)
        var reported = Set<String>()
        for iteration in [grpo, rloo] {
            let names = iteration.metrics.map(\.name) + iteration.steps.flatMap { $0.metrics.map(\.name) }
            #expect(Set(names).isSubset(of: declared), "\(Set(names).subtracting(declared).sorted())")
            #expect(Set(iteration.metrics.map(\.name)).count == iteration.metrics.count)
            reported.formUnion(names)
        }
        #expect(reported == declared, "never reported: \(declared.subtracting(reported).sorted())")
    }

    @Test("RLOO: one unit per completion, leave-one-out advantages, the first ratio exactly 1")
    func rloo() throws {
        var world = TinyWorld(seed: 6)
        let trainer = Self.rloo(world)
        let iteration = try trainer.iterate(prompts: Array(world.prompts.prefix(2)), random: &world.random)
        let batch = iteration.batch
        let units = iteration.steps[0].units
        #expect(units.count == 6 && units.allSatisfy { $0.token == nil && $0.ratio == 1 })
        let kl = LeaveOneOut.sequenceKL(oldLogprobs: batch.rollouts.map(\.logprobs),
                                        refLogprobs: batch.rollouts.map(\.refLogprobs))
        let expected = LeaveOneOut.compute(scores: batch.rollouts.map(\.score), sequenceKL: kl, groupSize: 3,
                                           beta: 0.05,
                                           normalize: false)
        #expect(batch.breakdowns == expected.breakdowns)
        #expect(iteration.metrics.contains { $0.name == "kl" })
    }

    @Test("training reports every optimiser step and stops after the step the callback stops at")
    func stopping() throws {
        var world = TinyWorld(seed: 7)
        let trainer = Self.grpo(world) { $0.shared.numIterations = 3 }
        var seen: [Int] = []
        let result = try trainer.train(iterations: 4, pool: world.prompts, random: &world.random) { event in
            seen.append(event.step)
            return event.step == 5 ? .stop : .proceed
        }
        #expect(seen == [1, 2, 3, 4, 5])
        #expect(result.history.stoppedEarly)
        #expect(result.last?.steps.count == 2)
        #expect(result.history.events[2].value("reward") != nil)
    }

    @Test("the same seed gives the same iteration")
    func deterministic() throws {
        func run() throws -> GroupIteration {
            var world = TinyWorld(seed: 8)
            return try Self.grpo(world).iterate(prompts: world.prompts, random: &world.random)
        }
        #expect(try run() == run())
    }
}
