import RLHFEngine
import RLHFStages
import Testing

/// GRPO's and RLOO's steps run the policy on the packed episodes and the head on the predicting positions
/// alone (`GroupReadout`); these tests take the same steps the plain way (the head over every padded position,
/// then picked, as `PaddedEpisodes` does) on a twin trainer and compare every bit: the record's log-probs, loss
/// and gradient norm, and every parameter after each optimiser step.
@Suite("GRPO and RLOO steps with the head on the predicting positions: the padded batch's bits")
struct GroupStepBitsTests {
    /// The models of a trainer, the same for the same seed.
    struct Models {
        let reference: GPT2
        let policy: ActorCritic
        let rewardModel: RewardModel

        init(_ config: GPT2Config, seed: UInt64) {
            var random = RandomGenerator(seed: seed)
            reference = GPT2(config: config, random: &random)
            policy = ActorCritic(initialisedFrom: reference, random: &random)
            rewardModel = RewardModel(initialisedFrom: reference, tokenizer: WorldVocabulary.tokenizer, random: &random)
        }
    }

    static func trainer<Trainer: GroupTrainerCore<Config>, Config>(_ type: Trainer.Type, _ model: GPT2Config,
                                                                    config: Config, seed: UInt64) -> Trainer {
        let models = Models(model, seed: seed)
        let tokenizer = WorldVocabulary.tokenizer
        return Trainer(policy: models.policy, reference: models.reference, rewardModel: models.rewardModel,
                       annotator: Annotator(tokenizer: tokenizer), tokenizer: tokenizer, config: config)
    }

    /// log pi of every completion token over the padded batch, at the sampling temperature, (N).
    static func plainLogprobs(_ policy: ActorCritic, _ batch: GroupBatch, temperature: Double) -> Tensor {
        let padded = PaddedEpisodes(batch.rollouts.map(\.episode), padID: WorldVocabulary.tokenizer.padID)
        return padded.logprobs(logits: policy.model.logits(padded.rows), temperature: temperature).logprobs
    }

    static func prompts(_ count: Int) -> [[Int]] {
        WorldText.trainingPrompts.prefix(count).map { try! WorldVocabulary.tokenizer.encode($0, source: "test") }
    }

    static func bits(_ values: [Float]) -> [UInt64] { values.map { Double($0).bitPattern } }

    static func sameParameters(_ one: ActorCritic, _ other: ActorCritic) -> Bool {
        zip(one.parameters, other.parameters).allSatisfy { $0.data.map(\.bitPattern) == $1.data.map(\.bitPattern) }
    }

    static func checkGRPO(_ model: GPT2Config, config: GRPOConfig, seed: UInt64) throws {
        let (fast, plain) = (trainer(GRPOTrainer.self, model, config: config, seed: seed),
                             trainer(GRPOTrainer.self, model, config: config, seed: seed))
        try checkSteps(fast, plain, shared: config.shared, seed: seed) { logprobs, batch in
            let rollouts = batch.rollouts
            return GRPOLoss.compute(newLogprobs: logprobs, oldLogprobs: rollouts.flatMap(\.logprobs),
                                    refLogprobs: rollouts.flatMap(\.refLogprobs), advantages: batch.advantages,
                                    lengths: rollouts.map(\.tokenCount), config: config,
                                    generationTokens: batch.tokenCount).loss
        }
    }

    static func checkRLOO(_ model: GPT2Config, config: RLOOConfig, seed: UInt64) throws {
        let (fast, plain) = (trainer(RLOOTrainer.self, model, config: config, seed: seed),
                             trainer(RLOOTrainer.self, model, config: config, seed: seed))
        try checkSteps(fast, plain, shared: config.shared, seed: seed) { logprobs, batch in
            RLOOLoss.compute(newLogprobs: logprobs, oldLogprobs: batch.rollouts.flatMap(\.logprobs),
                             advantages: batch.advantages, lengths: batch.rollouts.map(\.tokenCount),
                             epsilon: config.shared.epsilon, epsilonHigh: config.shared.upperEpsilon).loss
        }
    }

    /// One batch from `fast`, then each step taken by `fast` and the plain way on `plain` (the padded log-probs,
    /// `loss` of them, backward, the optimiser), compared bit for bit.
    static func checkSteps<Trainer: GroupTrainerCore<Config> & GroupAlgorithm, Config>(
        _ fast: Trainer, _ plain: Trainer, shared: GroupSettings, seed: UInt64, loss: (Tensor, GroupBatch) -> Tensor
    ) throws {
        var random = RandomGenerator(seed: seed &+ 1)
        let batch = try fast.collectBatch(prompts: prompts(shared.promptsPerIteration), random: &random)
        for index in 0..<shared.numIterations {
            let record = fast.step(batch: batch, index: index)
            let logprobs = plainLogprobs(plain.collector.policy, batch, temperature: shared.samplingAndAdam.temperature)
            let plainLoss = loss(logprobs, batch)
            plainLoss.backward()
            // The norm of every gradient (Double sums of squares): a gradient off by one ulp moves it, even where
            // Adam's first steps (about lr sign(g)) would leave the parameters as they were.
            let gradNorm = plain.optimizer.step()
            #expect(record.gradNorm.bitPattern == Double(gradNorm).bitPattern, "gradient norm at step \(index)")
            #expect(record.newLogprobs.flatMap { $0 }.map(\.bitPattern) == bits(logprobs.data), "step \(index)")
            #expect(record.loss.bitPattern == Double(plainLoss.item).bitPattern, "step \(index)")
            #expect(sameParameters(fast.collector.policy, plain.collector.policy), "parameters after step \(index)")
        }
    }

    /// The built-in world's sizes (d48 L2, context 32).
    static let worldModel = PackedBatchTests.worldConfig

    @Test("GRPO, the tiny world: 2 prompts x 4 completions, 3 steps on one batch, beta 0.04, learning rate 1e-2")
    func grpoTinyWorld() throws {
        var config = GRPOConfig()
        config.shared.numGenerations = 4
        config.shared.generationBatchSize = 8
        config.shared.numIterations = 3
        config.shared.beta = 0.04
        config.shared.samplingAndAdam.maxCompletionLength = 8
        config.shared.samplingAndAdam.learningRate = 1e-2
        try Self.checkGRPO(TinyWorld.model, config: config, seed: 51)
    }

    @Test("GRPO at the world's sizes: 4 prompts x 4 completions, 2 steps, dr_grpo, temperature 0.7")
    func grpoWorldSizes() throws {
        var config = GRPOConfig()
        config.shared.numGenerations = 4
        config.shared.generationBatchSize = 16
        config.shared.numIterations = 2
        config.shared.beta = 0.04
        config.lossType = .drGRPO
        config.shared.samplingAndAdam.temperature = 0.7
        config.shared.samplingAndAdam.maxCompletionLength = 16
        config.shared.samplingAndAdam.learningRate = 1e-3
        try Self.checkGRPO(Self.worldModel, config: config, seed: 53)
    }

    @Test("RLOO, the tiny world: 2 prompts x 3 completions, 3 steps on one batch, learning rate 1e-2")
    func rlooTinyWorld() throws {
        var config = RLOOConfig()
        config.shared.numGenerations = 3
        config.shared.generationBatchSize = 6
        config.shared.numIterations = 3
        config.shared.samplingAndAdam.maxCompletionLength = 8
        config.shared.samplingAndAdam.learningRate = 1e-2
        try Self.checkRLOO(TinyWorld.model, config: config, seed: 55)
    }

    @Test("RLOO at the world's sizes: 4 prompts x 4 completions, 2 steps, temperature 0.7")
    func rlooWorldSizes() throws {
        var config = RLOOConfig()
        config.shared.numGenerations = 4
        config.shared.generationBatchSize = 16
        config.shared.numIterations = 2
        config.shared.samplingAndAdam.temperature = 0.7
        config.shared.samplingAndAdam.maxCompletionLength = 16
        config.shared.samplingAndAdam.learningRate = 1e-3
        try Self.checkRLOO(Self.worldModel, config: config, seed: 57)
    }
}
