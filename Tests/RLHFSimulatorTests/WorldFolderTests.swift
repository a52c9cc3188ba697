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
}
