import Foundation
import RLHFEngine

/// A world on disk (the built-in one under `lessons/world/`):
///
///     recipe.json                     the recipe it was built from (its annotator and reward source)
///     corpus.txt                      the pre-training sentences, one per line
///     sft-train.jsonl, sft-heldout.jsonl              {"prompt", "completion"}
///     preferences-train.jsonl, preferences-heldout.jsonl
///                                     the seed's {"input_text", "candidate_0", "candidate_1", "choice"}
///     prompts-train.jsonl, prompts-heldout.jsonl      {"prompt"} for PPO
///     base/, sft/, reward/            Hugging Face model folders
///
/// `WorldBuilder` makes it; `rlhf world build` writes it; `rlhf` loads it at start-up
/// through the same loaders a learner's own files go through.
public enum WorldStore {
    public static let modelFolders = (base: "base", sft: "sft", reward: "reward")
    public static let recipeFile = "recipe.json"

    public static let dataFiles = (corpus: "corpus.txt", sftTraining: "sft-train.jsonl",
                                   sftHeldOut: "sft-heldout.jsonl", preferenceTraining: "preferences-train.jsonl",
                                   preferenceHeldOut: "preferences-heldout.jsonl",
                                   promptTraining: "prompts-train.jsonl", promptHeldOut: "prompts-heldout.jsonl")

    /// Every name `save` writes into a world folder: a folder holding others is never replaced.
    public static let fileNames: Set<String> = [
        recipeFile, dataFiles.corpus, dataFiles.sftTraining, dataFiles.sftHeldOut, dataFiles.preferenceTraining,
        dataFiles.preferenceHeldOut, dataFiles.promptTraining, dataFiles.promptHeldOut,
        modelFolders.base, modelFolders.sft, modelFolders.reward,
    ]

    /// Refuses a `folder` that `save` would refuse (a file, or a folder of other files, or a missing parent),
    /// so that a builder can say so before the minutes of training that make the world.
    public static func requireSavable(to folder: URL) throws {
        try AtomicFile.requireReplaceableFolder(folder.path, allowed: fileNames)
    }

    /// Writes every file of `world` into `folder`, all at once: they are written into a staging folder beside
    /// it, which then replaces `folder` (`AtomicFile.replaceFolder`), so a failure or a kill part-way leaves
    /// the old world or none, never one mixed of two.
    public static func save(_ world: World, to folder: URL) throws {
        try AtomicFile.replaceFolder(folder.path, allowed: fileNames) { staging in
            try write(world, into: URL(fileURLWithPath: staging))
        }
    }

    /// Every file of `world`, into the empty folder `folder`.
    private static func write(_ world: World, into folder: URL) throws {
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        try AtomicFile.write(Data(world.recipe.source.utf8), to: path(recipeFile))
        try AtomicFile.write(Data((world.recipe.text.corpus.joined(separator: "\n") + "\n").utf8),
                             to: path(dataFiles.corpus))
        let sft: ([SFTExample]) -> [JSONText] = { examples in
            examples.map { DataFiles.sftRecord(prompt: $0.promptText, completion: $0.completionText) }
        }
        try JSONLines.write(sft(world.sftTraining), to: path(dataFiles.sftTraining))
        try JSONLines.write(sft(world.sftHeldOut), to: path(dataFiles.sftHeldOut))
        // The seed's format; the chosen candidate alternates between positions 0 and 1.
        let preferences: ([PreferencePair]) -> [JSONText] = { pairs in
            pairs.enumerated().map { index, pair in
                let choice = index % 2
                let candidates = choice == 0 ? (pair.chosenText, pair.rejectedText)
                                             : (pair.rejectedText, pair.chosenText)
                return DataFiles.preferenceRecord(prompt: pair.promptText, candidates: candidates, choice: choice)
            }
        }
        try JSONLines.write(preferences(world.preferenceTraining), to: path(dataFiles.preferenceTraining))
        try JSONLines.write(preferences(world.preferenceHeldOut), to: path(dataFiles.preferenceHeldOut))
        try JSONLines.write(world.recipe.text.trainingPrompts.map(DataFiles.promptRecord),
                            to: path(dataFiles.promptTraining))
        try JSONLines.write(world.recipe.text.heldOutPrompts.map(DataFiles.promptRecord),
                            to: path(dataFiles.promptHeldOut))
        try RLHFCheckpoint.saveLanguageModel(world.base, valueHead: nil, tokenizer: world.tokenizer,
                                             to: folder.appendingPathComponent(modelFolders.base))
        try RLHFCheckpoint.saveLanguageModel(world.sft, valueHead: nil, tokenizer: world.tokenizer,
                                             to: folder.appendingPathComponent(modelFolders.sft))
        try RLHFCheckpoint.saveRewardModel(world.reward, tokenizer: world.tokenizer,
                                           to: folder.appendingPathComponent(modelFolders.reward))
    }

    /// Reads a world written by `save`; a folder without `recipe.json` is read with the built-in recipe.
    /// - Throws: `DataError` or `CheckpointError` naming the file at fault.
    public static func load(from folder: URL) throws -> World {
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        let recipe = FileManager.default.fileExists(atPath: path(recipeFile))
            ? try WorldRecipe.read(path: path(recipeFile)) : WorldRecipe.builtIn
        let base = try CheckpointFolder.load(from: folder.appendingPathComponent(modelFolders.base))
        let sft = try CheckpointFolder.load(from: folder.appendingPathComponent(modelFolders.sft))
        let reward = try CheckpointFolder.load(from: folder.appendingPathComponent(modelFolders.reward))
        for (name, checkpoint) in [(modelFolders.base, base), (modelFolders.sft, sft)]
        where checkpoint.kind != .languageModel {
            throw DataError(file: path(name), line: nil,
                            message: "not a language model folder (it is a \(checkpoint.kind.architecture))")
        }
        guard let rewardHead = reward.scoreHead else {
            throw DataError(file: path(modelFolders.reward), line: nil,
                            message: "not a reward model folder (no score head)")
        }
        let tokenizer = sft.tokenizer
        guard tokenizer.tokens == recipe.vocabulary.tokens else {
            throw DataError(file: path(recipeFile), line: nil, message: "its vocabulary is not the models' vocabulary")
        }
        // The reward model scores the policy's ids and the base model's feed the same prompts: one vocabulary
        // and one context for all three, or a lookup past a table (or a silently wrong token) later.
        for (name, checkpoint) in [(modelFolders.base, base), (modelFolders.reward, reward)] {
            if let problem = checkpoint.mismatch(tokenizer: tokenizer, contextLength: sft.model.config.contextLength,
                                                 theirs: "\(modelFolders.sft)/'s") {
                throw DataError(file: path(name), line: nil, message: problem)
            }
        }
        let (sftContext, rewardContext) = (base.model.config.contextLength, reward.model.config.contextLength)
        return World(
            recipe: recipe, tokenizer: tokenizer,
            annotator: Annotator(taste: recipe.taste, text: recipe.text, tokenizer: tokenizer),
            base: base.model, sft: sft.model,
            reward: RewardModel(backbone: reward.model, head: rewardHead, eosID: tokenizer.eosID,
                                padID: tokenizer.padID),
            sftTraining: try DataFiles.loadSFT(path: path(dataFiles.sftTraining), tokenizer: tokenizer,
                                               contextLength: sftContext),
            sftHeldOut: try DataFiles.loadSFT(path: path(dataFiles.sftHeldOut), tokenizer: tokenizer,
                                              contextLength: sftContext),
            preferenceTraining: try DataFiles.loadPreferences(path: path(dataFiles.preferenceTraining),
                                                              tokenizer: tokenizer, contextLength: rewardContext),
            preferenceHeldOut: try DataFiles.loadPreferences(path: path(dataFiles.preferenceHeldOut),
                                                             tokenizer: tokenizer, contextLength: rewardContext))
    }

    /// The prompts PPO trains on and the held-out ones, from a world folder.
    /// - Parameter contextLength: the policy's context; a prompt must leave room for a response and EOS.
    public static func loadPrompts(from folder: URL, tokenizer: Tokenizer,
                                   contextLength: Int) throws -> (training: [PromptExample], heldOut: [PromptExample]) {
        func load(_ name: String) throws -> [PromptExample] {
            try DataFiles.loadPrompts(path: folder.appendingPathComponent(name).path, tokenizer: tokenizer,
                                      maxTokens: contextLength - 1)
        }
        return (try load(dataFiles.promptTraining), try load(dataFiles.promptHeldOut))
    }
}
