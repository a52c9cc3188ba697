import Foundation
import RLHFEngine
import RLHFStages

/// Everything a learner works with: the world's models and data, the PPO settings,
/// the episode being stepped through, the last batch and update, and the random stream.
///
/// The models follow RLHF's three stages: `base` (pre-trained), `sft` (the frozen
/// reference the KL is measured against), `reward` (the reward model) and `policy`
/// (the SFT model plus a value head, the only model PPO changes).
public final class Session {
    public private(set) var tokenizer: Tokenizer
    public private(set) var annotator: Annotator
    public private(set) var base: GPT2
    public private(set) var sft: GPT2
    public private(set) var reward: RewardModel
    public private(set) var policy: ActorCritic
    public private(set) var trainer: PPOTrainer
    public private(set) var data: WorldData
    /// The folder the world was loaded from (`restart` reloads it).
    public var worldFolder: URL?
    /// The recipe the world was built from.
    public private(set) var recipe: WorldRecipe
    /// What scores rollouts for PPO, GRPO and RLOO (`reward_source`); the recipe's choice at the start.
    public var rewardSource: RewardSource {
        didSet { trainer.rewardSource = rewardSource }
    }
    public var random: RandomGenerator
    /// The seed `random` last started from.
    public private(set) var seed: UInt64

    /// The episode being stepped through, if any.
    public var episode: Episode?
    /// The last batch collected with `batch`, and its update once run.
    public var batch: RolloutBatch?
    public var lastIteration: PPOIteration?
    /// An update under way (`update step`, or one stopped by Ctrl-C): its steps so far are applied.
    public var pendingUpdate: UpdateInProgress?
    /// Two candidates waiting for the learner's choice (`label`).
    public var pendingLabel: PendingLabel?
    /// The DPO settings (`train dpo`, `pairs`).
    public var dpoConfig = DPOConfig()
    /// Where `label` appends the learner's choices.
    public var labelFile = "labels.jsonl"
    /// Where training appends one JSON line per iteration (`set log_file`; nil: off).
    public var logFile: String?
    /// The algorithm the verbs drive (`set algorithm`), and GRPO's and RLOO's settings and batch.
    public let algorithms = AlgorithmState()

    /// The world's data: SFT and preference splits, and PPO's prompts.
    public struct WorldData {
        public var sftTraining: [SFTExample]
        public var sftHeldOut: [SFTExample]
        public var preferenceTraining: [PreferencePair]
        public var preferenceHeldOut: [PreferencePair]
        public var trainingPrompts: [PromptExample]
        public var heldOutPrompts: [PromptExample]
    }

    public init(world: World, prompts: (training: [PromptExample], heldOut: [PromptExample]),
                seed: UInt64 = 0, config: PPOConfig = PPOConfig()) {
        tokenizer = world.tokenizer
        annotator = world.annotator
        recipe = world.recipe
        rewardSource = world.recipe.rewardSource
        base = world.base
        sft = world.sft
        reward = world.reward
        self.seed = seed
        random = RandomGenerator(seed: seed)
        var headRandom = RandomGenerator(seed: seed ^ 0x5eed)
        policy = ActorCritic(initialisedFrom: world.sft, random: &headRandom)
        trainer = PPOTrainer(policy: policy, reference: world.sft, rewardModel: world.reward,
                             annotator: world.annotator, tokenizer: world.tokenizer, config: config)
        trainer.rewardSource = rewardSource
        data = WorldData(sftTraining: world.sftTraining, sftHeldOut: world.sftHeldOut,
                         preferenceTraining: world.preferenceTraining, preferenceHeldOut: world.preferenceHeldOut,
                         trainingPrompts: prompts.training, heldOutPrompts: prompts.heldOut)
    }

    /// Starts over on `world`: its models, default settings, the random stream from `seed`,
    /// and no episode, batch or pending label.
    public func restart(world: World, prompts: (training: [PromptExample], heldOut: [PromptExample]), seed: UInt64) {
        let fresh = Session(world: world, prompts: prompts, seed: seed)
        tokenizer = fresh.tokenizer
        annotator = fresh.annotator
        recipe = fresh.recipe
        base = fresh.base
        data = fresh.data
        self.seed = seed
        random = fresh.random
        pendingLabel = nil
        install(policy: fresh.policy, sft: fresh.sft, reward: fresh.reward)
        trainer.config = PPOConfig()
        rewardSource = fresh.rewardSource
        dpoConfig = DPOConfig()
        algorithms.reset()
    }

    /// The PPO settings (also the sampling temperature, top-k and response length).
    public var config: PPOConfig {
        get { trainer.config }
        set { trainer.config = newValue }
    }

    /// Restarts the random stream from `seed`.
    public func reseed(_ newSeed: UInt64) {
        seed = newSeed
        random = RandomGenerator(seed: newSeed)
    }

    /// Replaces the SFT model; the policy restarts from it (with a fresh value head) and
    /// it becomes the reference. Batches and updates in progress are dropped.
    public func replaceSFT(_ model: GPT2) {
        sft = model
        resetPolicy()
    }

    /// Replaces the reward model; the PPO trainer uses it from now on.
    public func replaceReward(_ model: RewardModel) {
        reward = model
        rebuildTrainer(keeping: trainer.config)
    }

    /// Puts the policy back to the SFT model with a fresh value head (from the session seed).
    public func resetPolicy() {
        var headRandom = RandomGenerator(seed: seed ^ 0x5eed)
        policy = ActorCritic(initialisedFrom: sft, random: &headRandom)
        rebuildTrainer(keeping: trainer.config)
    }

    /// Installs loaded models (from `load DIR`).
    public func install(policy newPolicy: ActorCritic, sft newSFT: GPT2, reward newReward: RewardModel) {
        policy = newPolicy
        sft = newSFT
        reward = newReward
        rebuildTrainer(keeping: trainer.config)
    }

    /// The policy is about to be trained (by any algorithm): every batch and update in hand was made by
    /// the policy as it was and would be stepped with stale log-probabilities, so all of them go.
    /// - Returns: the unfinished PPO update that was dropped, if any, for the caller to name.
    @discardableResult
    public func dropWorkInHand() -> UpdateInProgress? {
        let unfinished = pendingUpdate.flatMap { $0.isFinished ? nil : $0 }
        batch = nil
        lastIteration = nil
        pendingUpdate = nil
        algorithms.dropBatch()
        return unfinished
    }

    private func rebuildTrainer(keeping config: PPOConfig) {
        trainer = PPOTrainer(policy: policy, reference: sft, rewardModel: reward, annotator: annotator,
                             tokenizer: tokenizer, config: config)
        trainer.rewardSource = rewardSource
        episode = nil
        batch = nil
        lastIteration = nil
        pendingUpdate = nil
    }

    /// A prompt drawn at random from PPO's training prompts.
    public func randomTrainingPrompt() -> [Int] {
        data.trainingPrompts[random.nextInt(below: data.trainingPrompts.count)].tokens
    }
}

/// An episode being stepped through by hand.
public struct Episode: Equatable {
    public let prompt: [Int]
    public var response: [Int] = []
    public var endedWithEOS: Bool { response.last == eosID }
    public let eosID: Int

    /// The state s_t: the prompt and the response so far.
    public var state: [Int] { prompt + response }
}

/// An update being walked through one minibatch at a time.
/// Two candidates shown by `label`, waiting for the learner's choice.
public struct PendingLabel {
    public let prompt: [Int]
    public let candidates: [[Int]]
}
