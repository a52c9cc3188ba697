import RLHFEngine
import RLHFStages

/// A tiny randomly initialised world for PPO tests: one width-16 layer, two heads, the
/// built-in vocabulary. Nothing is trained, so it builds in milliseconds; the same seed
/// gives the same models.
struct TinyWorld {
    static let model = GPT2Config(vocabularySize: WorldVocabulary.tokens.count, contextLength: 24,
                                  embeddingWidth: 16, layerCount: 1, headCount: 2)

    let tokenizer = WorldVocabulary.tokenizer
    let reference: GPT2
    let rewardModel: RewardModel
    let trainer: PPOTrainer
    let prompts: [[Int]]
    var random: RandomGenerator

    init(seed: UInt64, config: PPOConfig = TinyWorld.config, promptCount: Int = 4) {
        var random = RandomGenerator(seed: seed)
        let tokenizer = WorldVocabulary.tokenizer
        reference = GPT2(config: TinyWorld.model, random: &random)
        rewardModel = RewardModel(initialisedFrom: reference, tokenizer: tokenizer, random: &random)
        let policy = ActorCritic(initialisedFrom: reference, random: &random)
        trainer = PPOTrainer(policy: policy, reference: reference, rewardModel: rewardModel,
                             annotator: Annotator(tokenizer: tokenizer), tokenizer: tokenizer, config: config)
        prompts = WorldText.trainingPrompts.prefix(promptCount).map { try! tokenizer.encode($0, source: "test") }
        self.random = random
    }

    /// Small and quick: 4 rollouts of up to 6 tokens, 2 epochs of 2 minibatches.
    static var config: PPOConfig {
        var config = PPOConfig()
        config.batchSize = 4
        config.responseLength = 6
        config.numPPOEpochs = 2
        config.numMiniBatches = 2
        config.learningRate = 1e-2
        return config
    }

    /// One whole iteration: rollouts, then the update.
    mutating func iterate() throws -> PPOIteration {
        try trainer.iterate(prompts: prompts, random: &random)
    }
}
