import Foundation
import RLHFEngine
import RLHFSimulator
import Testing

/// `rlhf outputs DIR TEXT...`, the numbers tools/check_hf.py compares with transformers.
@Suite("rlhf outputs: a save folder's numbers as JSON")
struct OutputsCommandTests {
    @Test("prints the ids, logits, values and scores that the saved session's own models compute")
    func matchesTheSession() throws {
        let fixture = try SessionFixture(seed: 4)
        _ = fixture.run("train ppo 1")  // a policy that differs from the reference
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-outputs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(!fixture.run("save \(folder.path)").contains("error"))

        let texts = ["create a description for plantation palms .", "describe coral bay ."]
        let (status, output, errors) = try Executable.run(["outputs", folder.path] + texts)
        #expect(status == 0, "\(errors)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let printed = try #require(json["texts"] as? [[String: Any]])
        #expect(printed.count == texts.count)

        let session = fixture.session
        let rows = try texts.map { try session.tokenizer.encode($0, source: "test") + [session.tokenizer.eosID] }
        let scores = GradientMode.withoutRecording { session.reward.scores(sequences: rows).data }
        for (index, row) in rows.enumerated() {
            let entry = printed[index]
            #expect(entry["ids"] as? [Int] == row)
            let (logits, values) = GradientMode.withoutRecording { session.policy.forward([row]) }
            let reference = GradientMode.withoutRecording { session.sft.logits([row]) }
            let policyRows = try #require(entry["policy_logits"] as? [[Double]])
            let referenceRows = try #require(entry["reference_logits"] as? [[Double]])
            #expect(policyRows.flatMap { $0 }.map(Float.init) == logits.data)
            #expect(referenceRows.flatMap { $0 }.map(Float.init) == reference.data)
            #expect(policyRows.flatMap { $0 } != referenceRows.flatMap { $0 })
            #expect((entry["values"] as? [Double])?.map(Float.init) == values.data)
            #expect((entry["reward_score"] as? Double).map(Float.init) == scores[index])
        }
    }

    @Test("a folder that is not a save folder fails with one line naming it")
    func badFolder() throws {
        let arguments = ["outputs", "/nonexistent-rlhf-folder", "describe coral bay ."]
        let (status, output, errors) = try Executable.run(arguments)
        #expect(status != 0)
        #expect(output.isEmpty)
        #expect(errors.contains("/nonexistent-rlhf-folder"))
    }
}
