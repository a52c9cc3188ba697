import Foundation
import RLHFEngine
import RLHFStages

/// Where the built-in world lives, and how a session starts on it.
///
/// In a checkout, `lessons/` beside the sources (or $RLHF_LESSONS). A binary copied out of the
/// checkout has no `lessons/`: it builds the built-in world once from its compiled-in recipe into
/// $XDG_CACHE_HOME/rlhf (or ~/.cache/rlhf), the same bytes as the shipped `lessons/world`.
public enum WorldLocation {
    /// The repository's `lessons/` folder: $RLHF_LESSONS if set, else found from this
    /// source file's location in the checkout; nil when neither exists.
    public static var checkoutLessons: URL? {
        let (folder, fromEnvironment) = lessonsSearched
        if fromEnvironment { return folder }
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent("world").path) ? folder : nil
    }

    /// Where the lessons are looked for: $RLHF_LESSONS when set, else the `lessons/` of the checkout this
    /// binary was built from (which a copied binary may not have), and whether it came from RLHF_LESSONS.
    public static var lessonsSearched: (folder: URL, fromEnvironment: Bool) {
        if let override = ProcessInfo.processInfo.environment["RLHF_LESSONS"], !override.isEmpty {
            return (URL(fileURLWithPath: override), true)
        }
        // .../Sources/RLHFSimulator/Session/WorldLocation.swift -> the package root
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return (root.appendingPathComponent("lessons"), false)
    }

    /// The `lessons/` folder, or the cache folder when the binary runs without its checkout.
    public static var lessonsFolder: URL { checkoutLessons ?? cacheFolder }

    /// $XDG_CACHE_HOME/rlhf, else ~/.cache/rlhf.
    public static var cacheFolder: URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("rlhf")
    }

    /// The built-in world's folder: `lessons/world` (of $RLHF_LESSONS too) when it is there, else the
    /// cached build of the compiled-in recipe.
    public static var worldFolder: URL {
        if let world = checkoutLessons?.appendingPathComponent("world"),
           FileManager.default.fileExists(atPath: world.path) {
            return world
        }
        return cachedWorld(WorldRecipe.builtIn)
    }

    /// The world of `recipe` in the cache (default: `cacheFolder`, created with its parents if missing), built
    /// there first if it is not: into a scratch folder of its own, then renamed, so that no half-built world
    /// is ever found and two builds at once never write into one folder (the second to finish finds the
    /// first's world and keeps it). The world's folder is named after the recipe and a hash of its text, so
    /// an edited recipe gets a world of its own. A failure is reported on standard error; the folder returned
    /// then holds no world, and loading it names what is missing.
    public static func cachedWorld(_ recipe: WorldRecipe, in cache: URL = cacheFolder) -> URL {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, 64 bits
        for byte in recipe.source.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let folder = cache.appendingPathComponent("world-\(recipe.name)-\(String(hash, radix: 16))")
        let manager = FileManager.default
        func built() -> Bool { manager.fileExists(atPath: folder.appendingPathComponent(WorldStore.recipeFile).path) }
        if built() { return folder }
        let notice = "rlhf: no lessons/ here; building the \(recipe.name) world once into \(folder.path)\n"
        FileHandle.standardError.write(Data(notice.utf8))
        let scratch = cache.appendingPathComponent(".building-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: scratch) }
        do {
            try SafeFile.createFolders(cache.path)
            try WorldStore.requireSavable(to: scratch)  // before the build, not after it
            try WorldStore.save(try WorldBuilder.build(recipe: recipe), to: scratch)
            if built() { return folder }  // another process finished first: its world is the same bytes
            if manager.fileExists(atPath: folder.path) { try manager.removeItem(at: folder) }
            try manager.moveItem(at: scratch, to: folder)
        } catch {
            let reason = (error as NSError).domain == NSCocoaErrorDomain ? error.localizedDescription : "\(error)"
            FileHandle.standardError.write(Data("rlhf: cannot build into \(folder.path): \(reason)\n".utf8))
        }
        return folder
    }

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
