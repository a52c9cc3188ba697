import Foundation
import Testing
import RLHFSimulator
import RLHFStages

@Suite("World folders: built, cached and saved whole; refused when their models disagree")
struct WorldFolderTests {
    /// A copy of the shipped world in which `folder`'s tokenizer gives two tokens each other's ids: the
    /// model still loads on its own (the vocabulary has vocab_size tokens), but its ids are not SFT's.
    static func worldWithSwappedTokens(in folder: String) throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-mixed-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: WorldLocation.worldFolder, to: copy)
        let tokenizerFile = copy.appendingPathComponent(folder).appendingPathComponent("tokenizer.json")
        let text = try String(contentsOf: tokenizerFile, encoding: .utf8)
        let swapped = text.replacingOccurrences(of: "\",\": 4", with: "\",\": @")
            .replacingOccurrences(of: "\"create\": 5", with: "\"create\": 4")
            .replacingOccurrences(of: "\",\": @", with: "\",\": 5")
        #expect(swapped != text, "the shipped tokenizer.json has the two entries this test swaps")
        try swapped.write(to: tokenizerFile, atomically: true, encoding: .utf8)
        return copy
    }

    @Test("a base or reward model with other token ids is refused at start-up, naming its folder",
          arguments: [WorldStore.modelFolders.base, WorldStore.modelFolders.reward])
    func swappedTokens(folder: String) throws {
        let world = try Self.worldWithSwappedTokens(in: folder)
        defer { try? FileManager.default.removeItem(at: world) }
        let error = #expect(throws: DataError.self) { try WorldLocation.startSession(folder: world) }
        #expect(error?.description == "\(world.appendingPathComponent(folder).path): its token id 4 is \"create\", "
                + "in sft/'s vocabulary \",\"", "\(String(describing: error))")
    }

    @Test("a token holding a quote and a newline is quoted as JSON in the message, which stays one line")
    func tokenQuotedInMessage() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-quote-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: WorldLocation.worldFolder, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let base = copy.appendingPathComponent(WorldStore.modelFolders.base)
        let tokenizerFile = base.appendingPathComponent("tokenizer.json")
        let text = try String(contentsOf: tokenizerFile, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\"create\": 5", with: #""cr\"e\nate": 5"#)
        #expect(edited != text, "the shipped tokenizer.json has the entry this test edits")
        try edited.write(to: tokenizerFile, atomically: true, encoding: .utf8)
        let error = #expect(throws: DataError.self) { try WorldLocation.startSession(folder: copy) }
        #expect(error?.description == "\(base.path): its token id 5 is " + #""cr\"e\nate""#
                + ", in sft/'s vocabulary \"create\"", "\(String(describing: error))")
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
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-kind-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: WorldLocation.worldFolder, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let sft = copy.appendingPathComponent(WorldStore.modelFolders.sft)
        try FileManager.default.removeItem(at: sft)
        try FileManager.default.copyItem(at: copy.appendingPathComponent(WorldStore.modelFolders.reward), to: sft)
        let error = #expect(throws: DataError.self) { try WorldLocation.startSession(folder: copy) }
        #expect(error?.description == "\(sft.path): not a language model folder (it is a "
                + "GPT2ForSequenceClassification)", "\(String(describing: error))")
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
