import Foundation
import RLHFEngine
import RLHFStages
import RLHFSimulator
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `save`, `load`, `export trace` and `label clear` against bad folders and odd files.
@Suite("Checkpoint commands: save, load and odd files")
struct CheckpointCommandTests {
    private static func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("rlhf-commands-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test("load refuses a reference with a shorter context or a policy of another width, and changes nothing")
    func mismatchedModelsRefused() throws {
        let fixture = try SessionFixture()
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(fixture.run("save \(root)/saved").hasPrefix("Saved"))
        let session = fixture.session
        let config = session.sft.config
        var random = RandomGenerator(seed: 3)

        var shorter = config
        shorter.contextLength = config.contextLength / 2
        let folder = URL(fileURLWithPath: root).appendingPathComponent("saved")
        try CheckpointFolder.save(model: GPT2(config: shorter, random: &random), tokenizer: session.tokenizer,
                                  to: folder.appendingPathComponent("reference"))
        let (policy, sft, reward) = (session.policy, session.sft, session.reward)
        let short = fixture.run("load \(root)/saved")
        #expect(short.contains("error: \(root)/saved/reference: n_positions is \(shorter.contextLength)"), "\(short)")

        #expect(fixture.run("save \(root)/saved").hasPrefix("Saved"))
        var wider = config
        wider.embeddingWidth = config.embeddingWidth + 16
        try RLHFCheckpoint.saveLanguageModel(GPT2(config: wider, random: &random),
                                             valueHead: RLHFCheckpoint.newValueHead(width: wider.embeddingWidth,
                                                                                    random: &random),
                                             tokenizer: session.tokenizer, to: folder.appendingPathComponent("policy"))
        let wide = fixture.run("load \(root)/saved")
        #expect(wide.contains("error: \(root)/saved: the three models must have one width (n_embd)"), "\(wide)")
        #expect(session.policy === policy && session.sft === sft && session.reward === reward)

        #expect(fixture.run("save \(root)/saved").hasPrefix("Saved"))
        #expect(fixture.run("load \(root)/saved").hasPrefix("Loaded"))
    }

    @Test("save refuses a folder of other files and a file; load explains a missing folder")
    func saveAndLoadRefusals() throws {
        let fixture = try SessionFixture()
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("mine".utf8).write(to: URL(fileURLWithPath: root + "/notes.txt"))
        let foreign = fixture.run("save \(root)")
        #expect(foreign.contains("holds other files (notes.txt)") && foreign.contains("nothing was saved"),
                "\(foreign)")
        let file = fixture.run("save \(root)/notes.txt")
        #expect(file.contains("is a file, not a folder"), "\(file)")
        #expect(try String(contentsOfFile: root + "/notes.txt", encoding: .utf8) == "mine")
        let missing = fixture.run("load \(root)/absent")
        #expect(missing == "error: \(root)/absent: no such folder\n", "\(missing)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["notes.txt"])
    }

    @Test("a FIFO is refused by export trace and label clear, and nothing says it was written")
    func fifoRefused() throws {
        let fixture = try SessionFixture()
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fifo = root + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        _ = fixture.run("batch 2")
        let trace = fixture.run("export trace \(fifo)")
        #expect(trace.contains("is a FIFO") && !trace.contains("Wrote") && !trace.contains("permission"), "\(trace)")
        fixture.session.labelFile = fifo
        let labels = fixture.run("label clear")
        #expect(labels.contains("is a FIFO") && !labels.contains("Emptied"), "\(labels)")
        let checkpoint = fixture.run("save \(fifo)")
        #expect(checkpoint.contains("is a FIFO, not a folder"), "\(checkpoint)")
    }
}
