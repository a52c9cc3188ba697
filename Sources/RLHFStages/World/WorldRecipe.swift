import RLHFEngine

/// Everything that decides a world: its words and sentences, its annotator's taste, what scores
/// rollouts, model size, seed, and how long each stage trains. `WorldBuilder.build(recipe:)` turns it
/// into models and data, the same bytes every time. It is read from a recipe file
/// (`WorldRecipe.read`, docs/recipes.md); the built-in world's is `lessons/recipes/resort.json`,
/// compiled into the library.
public struct WorldRecipe: Sendable, Equatable {
    public var name: String
    /// One line about the world, for `rlhf world build` and `taste`.
    public var about: String
    public var seed: UInt64
    public var vocabulary: WorldVocabulary
    public var text: WorldText
    public var taste: AnnotatorTaste
    /// What scores rollouts at the start of a session: the reward model, or the annotator's rule.
    public var rewardSource: RewardSource
    public var model: GPT2Config
    public var pretrainingSteps: Int
    public var pretraining: SupervisedConfig
    public var sftSteps: Int
    public var sft: SupervisedConfig
    /// Preference pairs labelled by the annotator, before the held-out split.
    public var preferencePairCount: Int
    public var preferenceHeldOutFraction: Double
    /// Longest response sampled for labelling.
    public var maxResponseLength: Int
    /// Sampling attempts allowed per pair wanted (pairs of equal gold score or seen before are skipped).
    public var attemptsPerPair: Int
    /// The built-in world keeps this short on purpose: held-out accuracy peaks early, and a reward model
    /// trained further saturates, leaving less of the flaw for lesson 10 to show.
    public var rewardSteps: Int
    /// The built-in world takes large steps on purpose (learning_rate 2e-3): the reward model then rates
    /// piled-up lively words above the best fluent sentence, which unleashed PPO finds (lesson 10;
    /// `tools/reward_hacking.py` measures it).
    public var reward: RewardConfig
    /// The recipe file's text, written beside the world it builds (`recipe.json`).
    public var source: String

    /// The built-in world's recipe.
    public init() { self = WorldRecipe.builtIn }

    init(name: String, about: String, seed: UInt64, vocabulary: WorldVocabulary, text: WorldText,
         taste: AnnotatorTaste, rewardSource: RewardSource, model: GPT2Config, source: String) {
        (self.name, self.about, self.seed, self.vocabulary, self.text) = (name, about, seed, vocabulary, text)
        (self.taste, self.rewardSource, self.model, self.source) = (taste, rewardSource, model, source)
        (pretrainingSteps, pretraining, sftSteps, sft) = (0, SupervisedConfig(), 0, SupervisedConfig())
        (preferencePairCount, preferenceHeldOutFraction, maxResponseLength, attemptsPerPair) = (0, 0, 0, 0)
        (rewardSteps, reward) = (0, RewardConfig())
    }

    /// The shipped recipes, by name, as compiled in.
    public static let shipped: [(name: String, text: String)] = [
        ("resort", String(decoding: BuiltInRecipes.resort, as: UTF8.self)),
        ("arithmetic", String(decoding: BuiltInRecipes.arithmetic, as: UTF8.self)),
    ]

    /// The built-in world's recipe (`lessons/recipes/resort.json`).
    public static let builtIn: WorldRecipe = {
        do {
            return try read(shipped[0].text, file: "lessons/recipes/resort.json")
        } catch {
            preconditionFailure("the compiled-in recipe does not read: \(error)")
        }
    }()

    /// The shipped recipe called `name`, if there is one.
    public static func shipped(named name: String) throws -> WorldRecipe? {
        guard let entry = shipped.first(where: { $0.name == name }) else { return nil }
        return try read(entry.text, file: "lessons/recipes/\(name).json")
    }
}
