import Foundation
import Testing
import RLHFEngine
import RLHFSimulator

@Suite("Bad input never ends the session")
struct RobustnessTests {
    static let malformed = [
        "step step step", "logits -3", "logits 99999999999999999999", "batch 0", "batch x", "update sideways",
        "train", "train sft", "train sft x", "train dpo 3", "train ppo 1 extra.jsonl", "train rm 1 /nonexistent.jsonl",
        "set", "set gamma", "set gamma 0.5 0.6", "set kl_estimator k2", "set top_k -1", "show nothing",
        "seed -1", "seed", "help nothing", "reward 5", "advantages x", "credit 99", "label 3", "score",
        "score unknownword", "load", "load /nonexistent", "source", "source /nonexistent", "back", "finish",
        "prompt", "prompt !!!", "state", "\u{7F}\u{01}", "日本語", "step \"quoted\"", "   ", "#comment",
    ]

    @Test("each malformed line fails with one message, or does nothing harmful", arguments: malformed)
    func malformedLine(_ line: String) throws {
        let fixture = try SessionFixture()
        let outcome = fixture.outcome(line)
        if case .failed(let message) = outcome {
            #expect(!message.isEmpty)
            #expect(!message.contains("\n"), "one line: \(message)")
        }
        // The session still works afterwards.
        #expect(fixture.run("prompt describe gulf shores .").contains("New episode"))
    }

    @Test("hundreds of random lines: the session survives every one")
    func randomLines() throws {
        let fixture = try SessionFixture(seed: 2)
        _ = fixture.run("set batch_size 2")
        _ = fixture.run("set num_ppo_epochs 1")
        var random = RandomGenerator(seed: 1234)
        let commands = fixture.interpreter.commands.map(\.name).filter { !["save", "load", "source", "train"].contains($0) }
            + ["train sft", "train rm", "train ppo", "set", "show", "0", "1", "skip", "xyzzy", ""]
        let words = fixture.session.tokenizer.tokens + Self.settingNames + ["-1", "0", "1", "2", "3", "1e309", "nan", "-0", "abc", "!!", ".."]
        var failures = 0
        for _ in 0..<400 {
            var parts = [commands[random.nextInt(below: commands.count)]]
            for _ in 0..<random.nextInt(below: 4) { parts.append(words[random.nextInt(below: words.count)]) }
            if case .failed = fixture.outcome(parts.joined(separator: " ")) { failures += 1 }
            _ = fixture.console.take()
        }
        #expect(failures > 0)
        #expect(fixture.run("prompt describe gulf shores .").contains("New episode"))
        #expect(fixture.run("step").contains("s0 -> a0"))
    }

    static let settingNames = ["kl_coef", "gamma", "lam", "top_k", "temperature", "response_length", "num_mini_batches", "batch_size"]
}

@Suite("Ctrl-C")
struct InterruptTests {
    @Test("an interrupt stops training after a whole step, and a script after that line")
    func interruptStopsTrainingAndScript() throws {
        let session = try WorldLocation.startSession(seed: 0)
        let interpreter = Interpreter(session: session)
        let before = session.policy.model.parameters.map(\.data)
        var asked = 0
        // The interrupt arrives while the third iteration's progress is reported.
        let console = TextConsole { asked += 1; return asked >= 3 }
        let result = interpreter.runScript(lines: ["set batch_size 2", "train ppo 50", "state"], name: "script",
                                           console: console)
        #expect(result.errors == ["script:2: interrupted"])
        #expect(!console.text.contains("State s"))
        // Asked after the first line, then after every Adam step: the second step is the last one taken.
        #expect(console.text.contains("Stopped in iteration 1 after Adam step 2 of 8: 0 whole iterations were applied; "
            + "in that iteration 2 steps are applied too, and `update` finishes its other 6."))
        #expect(session.pendingUpdate?.stepsTaken == 2)
        #expect(session.policy.model.parameters.map(\.data) != before)
        let finishing = TextConsole()
        #expect(interpreter.execute("update", console: finishing) == .done)
        #expect(finishing.text.components(separatedBy: "  epoch ").count - 1 == 6)
        #expect(finishing.text.contains("Update finished."))
    }
}

@Suite("Files that cannot be written")
struct UnwritableFileTests {
    @Test("export trace and label into a missing folder give one clear line each")
    func missingFolders() throws {
        let fixture = try SessionFixture()
        _ = fixture.run("set batch_size 2")
        _ = fixture.run("batch")
        // A folder no one has made (a fixed name could be left behind by another run).
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString)").path
        let export = fixture.run("export trace \(missing)/x.json")
        #expect(export.contains("error: \(missing)/x.json: cannot write the trace"))
        #expect(export.contains("its folder \(missing) does not exist"))
        #expect(!export.contains("Wrote"))
        let dpo = fixture.run("export dpo \(missing)/x.json")
        #expect(dpo == "error: \(missing)/x.json: cannot write the DPO trace: its folder \(missing) does not exist\n")
        #expect(fixture.run("export trace \"\"") == "error: \"\": cannot write the trace: an empty name; name a file\n")
        #expect(fixture.run("set label_file \(missing)/labels.jsonl")
                == "error: label_file: \(missing)/labels.jsonl: its folder \(missing) does not exist\n")
        #expect(fixture.run("set label_file \"\"") == "error: label_file: \"\": an empty name; name a file\n")
        #expect(fixture.run("set label_file \(FileManager.default.temporaryDirectory.path)").contains("is a folder"))
        // A folder that goes away after `set`: the answer is refused when it is written.
        try FileManager.default.createDirectory(atPath: missing, withIntermediateDirectories: false)
        #expect(fixture.run("set label_file \(missing)/labels.jsonl") == "label_file = \(missing)/labels.jsonl\n")
        try FileManager.default.removeItem(atPath: missing)
        _ = fixture.run("label")
        let answer = fixture.run("0")
        #expect(answer.contains("error: \(missing)/labels.jsonl: its folder \(missing) does not exist"))
        #expect(!answer.contains("NSCocoaErrorDomain") && !answer.contains("Saved your choice"))
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test("GRPO at learning_rate 1 leaves a finite model that saves and loads: Adam skips non-finite steps")
    func nonFiniteStepsSkipped() throws {
        let fixture = try SessionFixture()
        for line in ["set algorithm grpo", "set learning_rate 1", "set num_iterations 4"] { _ = fixture.run(line) }
        let output = fixture.run("train grpo 3")
        #expect(output.contains("Not finite (nan or inf) somewhere in: kl. Adam skips any step"), "\(output)")
        #expect(!output.hasPrefix("error"), "\(output)")
        for (name, parameter) in fixture.session.policy.model.namedParameters() {
            let finite = parameter.data.allSatisfy(\.isFinite)
            #expect(finite, "\(name) holds a value that is not finite")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-nan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(fixture.run("save \(folder.path)").hasPrefix("Saved"))
        #expect(!fixture.run("load \(folder.path)").hasPrefix("error"))
    }

    @Test("a 5,000-character value quoted from a file is cut, so the error stays one short line")
    func longValueFromFile() throws {
        let fixture = try SessionFixture()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-long-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(fixture.run("save \(folder.path)").hasPrefix("Saved"))
        let config = folder.appendingPathComponent("policy/config.json")
        let text = try String(contentsOf: config, encoding: .utf8)
        let long = String(repeating: "a", count: 5000)
        try text.replacingOccurrences(of: "\"gelu_new\"", with: "\"\(long)\"").write(to: config, atomically: true,
                                                                                     encoding: .utf8)
        let failure = fixture.run("load \(folder.path)")
        #expect(failure.hasPrefix("error: \(config.path):"), "\(failure.prefix(300))")
        #expect(failure.contains("only \"gelu_new\" is supported, found \"aaa"))
        #expect(failure.count < 300 && failure.dropLast().allSatisfy { $0 != "\n" }, "\(failure.prefix(300))")
        // A long key in a data file reaches the message in the list of the line's fields: cut in its middle.
        let prompts = folder.appendingPathComponent("prompts.jsonl")
        try "{\"\(long)\": 1}\n".write(to: prompts, atomically: true, encoding: .utf8)
        let missing = fixture.run("batch 2 \(prompts.path)")
        #expect(missing.hasPrefix("error: \(prompts.path):1: missing field"), "\(missing.prefix(300))")
        #expect(missing.count < 400 && missing.contains("..."), "\(missing.prefix(300))")
    }

    @Test("a path of more than 160 characters is cut in its middle: the file name and FILE:LINE stay in the message")
    func longPathKeepsItsLine() throws {
        let fixture = try SessionFixture()
        var folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-deep-\(UUID().uuidString)")
        let top = folder
        defer { try? FileManager.default.removeItem(at: top) }
        for index in 0..<12 { folder.appendPathComponent("segment-of-a-long-path-\(index)") }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        #expect(folder.path.count > 300)
        let prompts = folder.appendingPathComponent("p.jsonl")
        let lines = "{\"prompt\": \"describe coral bay .\"}\n{\"nothing\": 1}\n"
        try lines.write(to: prompts, atomically: true, encoding: .utf8)
        let typed = fixture.run("batch 2 \(prompts.path)")  // the path as typed, then as quoted by the loader
        #expect(typed.hasPrefix("error: ") && typed.contains("p.jsonl:2: missing field"), "\(typed)")
        #expect(typed.count < 300 && typed.dropLast().allSatisfy { $0 != "\n" }, "\(typed)")
        // Resolved beside a script, the path was never typed: only the 160-character cut applies to it.
        let script = folder.appendingPathComponent("a.rlhf")
        try "batch 2 p.jsonl\n".write(to: script, atomically: true, encoding: .utf8)
        let sourced = fixture.run("source \(script.path)")
        #expect(sourced.contains("a.rlhf:1: ") && sourced.contains("p.jsonl:2: missing field"), "\(sourced)")
        #expect(sourced.count < 500 && sourced.dropLast().allSatisfy { $0 != "\n" }, "\(sourced)")
    }
}
