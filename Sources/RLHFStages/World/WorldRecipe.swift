import RLHFEngine

/// Everything that decides the built-in world: model size, seeds, and how long each
/// stage trains. `WorldBuilder.build(recipe:)` turns it into models and data, the
/// same bytes every time.
public struct WorldRecipe: Sendable, Equatable {
    public var model = GPT2Config(vocabularySize: WorldVocabulary.tokens.count)
    public var seed: UInt64 = 2024
    public var pretrainingSteps = 400
    public var pretraining: SupervisedConfig = {
        var config = SupervisedConfig()
        config.learningRate = 3e-3
        return config
    }()
    public var sftSteps = 300
    public var sft: SupervisedConfig = {
        var config = SupervisedConfig()
        config.learningRate = 1e-3
        return config
    }()
    /// Preference pairs labelled by the annotator, before the held-out split.
    public var preferencePairCount = 800
    public var preferenceHeldOutFraction = 0.2
    /// Longest response sampled for labelling.
    public var maxResponseLength = 16
    /// Kept short on purpose: held-out accuracy peaks early, and a reward model trained
    /// further saturates, leaving less of the flaw for lesson 10 to show.
    public var rewardSteps = 150
    /// Large steps on purpose: at 2e-3 the reward model rates piled-up lively words above the best
    /// fluent sentence, which unleashed PPO finds (lesson 10; `tools/reward_hacking.py` measures it).
    public var reward: RewardConfig = {
        var config = RewardConfig()
        config.learningRate = 2e-3
        return config
    }()

    public init() {}
}
