import Foundation
import RLHFEngine
import RLHFStages

/// Where the built-in world lives, and how a session starts on it.
public enum WorldLocation {
    /// The repository's `lessons/` folder: $RLHF_LESSONS if set, else found from this
    /// source file's location in the checkout (the simulator runs from its own build tree).
    public static var lessonsFolder: URL {
        if let override = ProcessInfo.processInfo.environment["RLHF_LESSONS"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        // .../Sources/RLHFSimulator/Session/WorldLocation.swift -> the package root
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("lessons")
    }

    /// The built-in world's folder, `lessons/world`.
    public static var worldFolder: URL { lessonsFolder.appendingPathComponent("world") }

    /// A session on the world in `folder` (default: the built-in one).
    /// - Throws: a `DataError` or `CheckpointError` naming the file when the folder is incomplete.
    public static func startSession(folder: URL = worldFolder, seed: UInt64 = 0) throws -> Session {
        let (world, prompts) = try load(folder: folder)
        let session = Session(world: world, prompts: prompts, seed: seed)
        session.worldFolder = folder
        return session
    }

    /// The world in `folder` and its PPO prompts.
    /// - Throws: a `DataError` or `CheckpointError` naming the file when the folder is incomplete.
    public static func load(folder: URL) throws
        -> (world: World, prompts: (training: [PromptExample], heldOut: [PromptExample])) {
        let world = try WorldStore.load(from: folder)
        return (world, try WorldStore.loadPrompts(from: folder, tokenizer: world.tokenizer,
                                                  contextLength: world.sft.config.contextLength))
    }
}
