import Foundation
import Testing
import RLHFSimulator
import RLHFStages

@Suite("World folders: built, cached and saved whole; refused when their models disagree")
struct WorldFolderTests {
    /// What start-up says of a copy of the shipped world after `edit` changed it (nil if it loads).
    static func refusal(of edit: (URL) throws -> Void) throws -> String? {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-edited-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: WorldLocation.worldFolder, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        try edit(copy)
        do { _ = try WorldLocation.startSession(folder: copy) } catch let error as DataError {
            return error.description.replacingOccurrences(of: copy.path, with: "WORLD")
        }
        return nil
    }

    /// `replacements` made in order in `folder`'s tokenizer.json of the world at `world`.
    static func editTokenizer(_ world: URL, _ folder: String, _ replacements: [(String, String)]) throws {
        let file = world.appendingPathComponent(folder).appendingPathComponent("tokenizer.json")
        let text = try String(contentsOf: file, encoding: .utf8)
        let edited = replacements.reduce(text) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
        #expect(edited != text, "the shipped tokenizer.json has the entries this test edits")
        try edited.write(to: file, atomically: true, encoding: .utf8)
    }

    @Test("a base or reward model with other token ids is refused at start-up, naming its folder",
          arguments: [WorldStore.modelFolders.base, WorldStore.modelFolders.reward])
    func swappedTokens(folder: String) throws {
        // Two tokens given each other's ids: the model still loads on its own, but its ids are not SFT's.
        let message = try Self.refusal { world in
            try Self.editTokenizer(world, folder, [("\",\": 4", "\",\": @"), ("\"create\": 5", "\"create\": 4"),
                                                   ("\",\": @", "\",\": 5")])
        }
        #expect(message == "WORLD/\(folder): its token id 4 is \"create\", in sft/'s vocabulary \",\"")
    }

    @Test("a token holding a quote and a newline is quoted as JSON in the message, which stays one line")
    func tokenQuotedInMessage() throws {
        let message = try Self.refusal { world in
            try Self.editTokenizer(world, WorldStore.modelFolders.base, [("\"create\": 5", #""cr\"e\nate": 5"#)])
        }
        #expect(message == "WORLD/base: its token id 5 is " + #""cr\"e\nate""# + ", in sft/'s vocabulary \"create\"")
    }

    @Test("a world is saved whole over an older one, and a file or a folder of other files is refused first")
    func savedWhole() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-save-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try WorldStore.load(from: WorldLocation.worldFolder)
        let folder = root.appendingPathComponent("world")
        try WorldStore.save(world, to: folder)
        try WorldStore.save(world, to: folder)  // over the first: only the world's own names are there
        let models = WorldStore.modelFolders
        for name in [models.base, models.sft, models.reward] {
            let weights = "\(name)/model.safetensors"
            #expect(try Data(contentsOf: folder.appendingPathComponent(weights))
                    == Data(contentsOf: WorldLocation.worldFolder.appendingPathComponent(weights)), "\(weights)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["world"], "no staging left")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == WorldStore.fileNames)

        try Data("notes".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let refused = #expect(throws: DataError.self) { try WorldStore.requireSavable(to: folder) }
        #expect(refused?.description == "\(folder.path): holds other files (notes.txt); name a new or empty folder")
        let file = root.appendingPathComponent("file")
        try Data().write(to: file)
        let notFolder = #expect(throws: DataError.self) { try WorldStore.save(world, to: file) }
        #expect(notFolder?.description == "\(file.path): is a file, not a folder")
    }

    @Test("a reward model copied over sft/ is refused at start-up: base/ and sft/ must be language models")
    func classifierAsLanguageModel() throws {
        let message = try Self.refusal { world in
            let sft = world.appendingPathComponent(WorldStore.modelFolders.sft)
            try FileManager.default.removeItem(at: sft)
            try FileManager.default.copyItem(at: world.appendingPathComponent(WorldStore.modelFolders.reward), to: sft)
        }
        #expect(message == "WORLD/sft: not a language model folder (it is a GPT2ForSequenceClassification)")
    }

    @Test("a copied binary builds its world into a cache folder that does not exist yet, then finds it there")
    func cachedWorldInNewFolder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = root.appendingPathComponent("home/.cache/rlhf")  // none of it exists
        let recipe = try WorldRecipe.read(TeacherRecipeTests.recipe, file: "replies.json")
        let folder = WorldLocation.cachedWorld(recipe, in: cache)
        #expect(folder.deletingLastPathComponent().path == cache.path)
        let world = try WorldStore.load(from: folder)
        #expect(world.recipe.name == "replies")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path) == [folder.lastPathComponent],
                "no scratch folder left")
        // Found, not built again: a file removed from the cached world stays removed.
        let corpus = folder.appendingPathComponent("corpus.txt")
        try FileManager.default.removeItem(at: corpus)
        #expect(WorldLocation.cachedWorld(recipe, in: cache).path == folder.path)
        #expect(!FileManager.default.fileExists(atPath: corpus.path))
    }
}
