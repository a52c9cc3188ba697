import Foundation
import Testing
import RLHFSimulator
import RLHFStages

@Suite("A world folder whose models disagree")
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
}
