import Foundation
import Testing
import RLHFEngine
import RLHFSimulator
import RLHFStages

@Suite("Input as people write it, and sequences longer than the context")
struct InputTests {
    static let words25 = Array(repeating: "fun", count: 25).joined(separator: " ")

    @Test("score with 25 words on the default prompt names the length and the limit")
    func overLongScore() throws {
        let fixture = try SessionFixture()
        let output = fixture.run("score " + Self.words25)
        #expect(output == "error: score: prompt + response + EOS is 33 tokens (prompt 7, response 25); "
                + "the model's context holds 32\n")
        #expect(fixture.run("score fun sun !").contains("reward model:"))
    }

    @Test("over-long SFT and preference lines are refused with FILE:LINE before any training, DPO's too")
    func overLongFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let prompt = "Create a description for Plantation Palms."
        let sft = folder.appendingPathComponent("sft.jsonl")
        try ("{\"prompt\": \"\(prompt)\", \"completion\": \"fun .\"}\n"
             + "{\"prompt\": \"\(prompt)\", \"completion\": \"\(Self.words25)\"}\n")
            .write(to: sft, atomically: true, encoding: .utf8)
        let preferences = folder.appendingPathComponent("pairs.jsonl")
        let rejected = Array(repeating: "sun", count: 40).joined(separator: " ")
        try "{\"prompt\": \"\(prompt)\", \"chosen\": \"fun .\", \"rejected\": \"\(rejected)\"}\n"
            .write(to: preferences, atomically: true, encoding: .utf8)
        let fixture = try SessionFixture()
        let before = fixture.session.sft.parameters.map(\.data)
        #expect(fixture.run("train sft 2 \(sft.path)")
                == "error: \(sft.path):2: prompt + completion + EOS is 33 tokens "
                + "(prompt 7, completion 25); the model's context holds 32\n")
        #expect(fixture.run("train rm 2 \(preferences.path)")
                == "error: \(preferences.path):1: prompt + rejected + EOS "
                + "is 48 tokens (prompt 7, rejected 40); the model's context holds 32\n")
        // DPO reads the same pairs through the policy and the SFT model (these three trapped before).
        let policyBefore = fixture.session.policy.model.parameters.map(\.data)
        let refusal = "error: \(preferences.path):1: prompt + rejected + EOS "
            + "is 48 tokens (prompt 7, rejected 40); the model's context holds 32\n"
        #expect(fixture.run("train dpo 1 \(preferences.path)") == refusal)
        #expect(fixture.run("pairs 1 \(preferences.path)") == refusal)
        let trace = folder.appendingPathComponent("dpo.json").path
        #expect(fixture.run("export dpo \(trace) \(preferences.path)") == refusal)
        #expect(!FileManager.default.fileExists(atPath: trace))
        #expect(fixture.session.sft.parameters.map(\.data) == before)
        #expect(fixture.session.policy.model.parameters.map(\.data) == policyBefore)
    }

    @Test("a world whose prompts fill the context is refused at start-up, naming the file and line")
    func overLongWorldPrompts() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-world-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: WorldLocation.worldFolder, to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let prompts = folder.appendingPathComponent("prompts-train.jsonl")
        try "{\"prompt\": \"\(Array(repeating: "fun", count: 32).joined(separator: " "))\"}\n"
            .write(to: prompts, atomically: true, encoding: .utf8)
        #expect(throws: DataError.self) { try WorldLocation.startSession(folder: folder) }
        do {
            _ = try WorldLocation.startSession(folder: folder)
        } catch {
            #expect("\(error)" == "\(prompts.path):1: the prompt has 32 tokens; at most 31 leave room for a response")
        }
    }

    @Test("extra arguments are an error, naming the first extra one and the usage")
    func extraArguments() throws {
        let fixture = try SessionFixture()
        #expect(fixture.run("evaluate 1 2") == "error: too many arguments (\"2\" and after); usage: evaluate [N]\n")
        #expect(fixture.run("label 0 1")
                == "error: too many arguments (\"1\" and after); usage: label [0|1|skip|annotator|clear]\n")
        #expect(fixture.run("vocab x") == "error: too many arguments (\"x\" and after); usage: vocab\n")
    }

    @Test("quoted file names and backslash escapes; an open quote is an error")
    func quotedArguments() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf quoted \(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("file with spaces.jsonl")
        let tiny = WorldLocation.lessonsFolder.appendingPathComponent("data/sft-tiny.jsonl")
        try FileManager.default.copyItem(at: tiny, to: file)
        let fixture = try SessionFixture()
        #expect(fixture.run("train sft 1 \"\(file.path)\"").contains("on 8 examples from \(file.path) for 1 step"))
        let escaped = file.path.replacingOccurrences(of: " ", with: "\\ ")
        #expect(fixture.run("train sft 1 \(escaped)").contains("on 8 examples from \(file.path) for 1 step"))
        #expect(fixture.run("train sft 1 \"\(file.path)")
                == "error: the quote \" is not closed; usage: train sft|rm|ppo|grpo|rloo|dpo N [FILE]\n")
    }

    @Test("source of a FIFO or a folder is one clear line, and it never waits on the FIFO")
    func sourceOddFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-odd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let fixture = try SessionFixture()
        #expect(fixture.run("source \(fifo)") == "error: \(fifo): is a FIFO, not a regular file\n")
        #expect(fixture.run("source \(folder.path)") == "error: \(folder.path): is a folder, not a file\n")
        #expect(fixture.run("vocab").contains("1:<eos>"))
    }

    @Test("a CRLF script runs every line, as the same script with LF does")
    func crlfScript() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-crlf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = ["# a script saved on Windows", "seed 3", "prompt describe gulf shores .", "step fun", "state"]
        let crlf = folder.appendingPathComponent("crlf.txt"), lf = folder.appendingPathComponent("lf.txt")
        try (lines.joined(separator: "\r\n") + "\r\n").write(to: crlf, atomically: true, encoding: .utf8)
        try (lines.joined(separator: "\n") + "\n").write(to: lf, atomically: true, encoding: .utf8)
        let withCRLF = try SessionFixture().run("source \(crlf.path)")
        let withLF = try SessionFixture().run("source \(lf.path)")
        #expect(withCRLF.contains("State s1"))
        #expect(withCRLF == withLF)
    }

    @Test("clamps are refused: num_mini_batches above batch_size, top_k above the vocabulary")
    func clamps() throws {
        let fixture = try SessionFixture()
        #expect(fixture.run("set num_mini_batches 32")
                == "error: num_mini_batches 32 is more than batch_size 16: "
                + "every minibatch needs at least one rollout\n")
        #expect(fixture.session.config.numMiniBatches == 2)
        #expect(fixture.run("set top_k 100").hasPrefix("error: top_k 100 is more than the vocabulary's 62 tokens"))
        #expect(fixture.session.config.topK == 0)
        // The adaptive controller's factor 1 - 0.2 x 16 / 3 is negative: beta would change sign.
        #expect(fixture.run("set adaptive_kl_target 6") == "adaptive_kl_target = 6\n")
        #expect(fixture.run("set adaptive_kl_horizon 3").hasPrefix("error: adaptive_kl_horizon 3 is too short for "
                                                                     + "16 rollouts a batch"))
        #expect(fixture.session.config.adaptiveKLHorizon == 10_000)
        #expect(fixture.run("set adaptive_kl_horizon 4") == "adaptive_kl_horizon = 4\n")
        #expect(fixture.run("set batch_size 20").hasPrefix("error: adaptive_kl_horizon 4 is too short"))
        #expect(fixture.run("batch 20").hasPrefix("error: adaptive_kl_horizon 4 is too short for 20 rollouts"))
        #expect(fixture.session.batch == nil)
    }

    @Test("a lesson started on another world plays on the built-in one, which its narration is about")
    func lessonOnAnotherWorld() throws {
        let fixture = try SessionFixture()
        let arithmetic = packageRoot.appendingPathComponent("lessons/world-arithmetic").path
        #expect(fixture.run("world \(arithmetic)").contains("World arithmetic"))
        let output = fixture.run("lesson 1")
        #expect(output.hasPrefix("Lessons play on the built-in world; `world \"\(arithmetic)\"` goes back"),
                "\(output)")
        #expect(fixture.session.recipe.name == WorldRecipe.builtIn.name)
    }

    @Test("a response stopped by the context, not response_length, says so")
    func contextStopsTheResponse() throws {
        let fixture = try SessionFixture()
        _ = fixture.run("set response_length 64")
        _ = fixture.run("prompt")
        let prompt = try #require(fixture.session.episode?.prompt.count)
        _ = fixture.run("set temperature 100")  // EOS is then unlikely before the context is full
        let finished = fixture.run("finish")
        #expect(fixture.session.episode?.endedWithEOS == false, "seed 0 at temperature 100 fills the context")
        #expect(finished.contains("Reached the context's room of \(32 - prompt) tokens (n_positions 32 after the "
                                  + "\(prompt)-token prompt; response_length is 64)"), "\(finished)")
    }

    @Test("long arguments are cut to about 80 characters in messages")
    func longArguments() throws {
        let fixture = try SessionFixture()
        let long = String(repeating: "y", count: 50_000)
        let output = fixture.run(long)
        let cut = String(repeating: "y", count: 77) + "..."
        #expect(output == "error: unknown command \"\(cut)\" (`help` lists the commands)\n")
        #expect(fixture.run("prompt " + long).count < 200)
    }
}

/// A console whose pauses answer from a list, as a learner at the terminal would.
final class PausingConsole: Console {
    var answers: [PauseAnswer]
    private(set) var text = ""
    private var stopped = false
    let isTerminal = true
    let usesColor = false

    init(answers: [PauseAnswer]) { self.answers = answers }

    func write(_ text: String) { self.text += text }
    func showProgress(_ text: String) {}
    func interruptRequested() -> Bool { stopped }
    func waitAtPause() -> PauseAnswer {
        let answer = answers.isEmpty ? .proceed : answers.removeFirst()
        if answer == .stop { stopped = true }
        return answer
    }
    func ask(_ question: String) -> String? { nil }
}

@Suite("A lesson's pause")
struct PauseTests {
    @Test("a command typed at a pause runs, then the lesson waits again and goes on")
    func commandAtPause() throws {
        let session = try WorldLocation.startSession(seed: 0)
        let interpreter = Interpreter(session: session)
        let console = PausingConsole(answers: [.command("vocab"), .command("nonsense"), .proceed])
        let result = interpreter.runScript(lines: ["> before", "pause", "> after"], name: "lesson", console: console)
        #expect(result.errors.isEmpty)
        #expect(console.text.contains("Text is lower-cased"))
        #expect(console.text.contains("error: unknown command \"nonsense\""))
        #expect(console.text.hasSuffix("after\n"))
        #expect(console.answers.isEmpty)
    }

    @Test("Ctrl-C at a pause stops the lesson at once")
    func stopAtPause() throws {
        let session = try WorldLocation.startSession(seed: 0)
        let interpreter = Interpreter(session: session)
        let console = PausingConsole(answers: [.stop])
        let result = interpreter.runScript(lines: ["> before", "pause", "> after"], name: "lesson", console: console)
        #expect(result.errors == ["lesson:2: interrupted"])
        #expect(!console.text.contains("after"))
    }
}
