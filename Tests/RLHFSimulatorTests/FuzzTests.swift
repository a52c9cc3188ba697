import Foundation
import Testing
import RLHFEngine
import RLHFSimulator

/// A hostile user at the prompt: thousands of seeded random lines built from every command.
@Suite("Fuzzing the interpreter")
struct FuzzTests {
    /// Arguments: words of the vocabulary, numbers good and bad, settings, quotes, control
    /// bytes, CR, and runs of words longer than any context.
    static func argument(_ random: inout RandomGenerator, words: [String], folder: String) -> String {
        let fixed = ["-1", "0", "1", "2", "3", "x", "1e309", "nan", "99999999999999999999", "\"quoted word\"",
                     "\"unclosed", "'single'", "back\\ slash", "\\", "\u{0}", "\u{1B}[A", "\u{7F}", "\t", "\r",
                     "日本語", "..", "!!", "\(folder)/out", "\(folder)/missing/x.jsonl", "\"\(folder)/with space\""]
        switch random.nextInt(below: 10) {
        case 0:
            // A run of words long enough to overflow any context.
            let count = 20 + random.nextInt(below: 40)
            return (0..<count).map { _ in words[random.nextInt(below: words.count)] }.joined(separator: " ")
        case 1:
            return String(repeating: "w", count: 100 + random.nextInt(below: 5000))
        case 2, 3, 4:
            return fixed[random.nextInt(below: fixed.count)]
        default:
            return words[random.nextInt(below: words.count)]
        }
    }

    @Test("5,000 seeded random lines never crash the interpreter; every error is one line, and the session works after")
    func fiveThousandLines() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fixture = try SessionFixture(seed: 4)
        _ = fixture.run("set batch_size 2")
        _ = fixture.run("set num_ppo_epochs 1")
        var random = RandomGenerator(seed: 20261201)
        let settings = ["kl_coef", "gamma", "lam", "top_k", "temperature", "response_length", "num_mini_batches",
                        "batch_size", "cliprange", "kl_estimator", "whiten_rewards", "missing_eos_penalty"]
        let words = fixture.session.tokenizer.tokens + settings + ["eos", "step", "sft", "rm", "ppo", "trace"]
        // Every command by name; the ones that could run for long or write anywhere get safe arguments.
        let names = fixture.interpreter.commands.flatMap { [$0.name] + $0.aliases } + ["quit", "xyzzy", "", "#", ">"]
        var counts = (lines: 0, failed: 0)
        for _ in 0..<5000 {
            let name = names[random.nextInt(below: names.count)]
            var parts = [name]
            let canonical = fixture.interpreter.command(named: name)?.name ?? name
            switch canonical {
            case "lesson":
                parts.append(["0", "99", "x", "-1"][random.nextInt(below: 4)])
            case "train", "t":
                parts.append(["sft", "rm", "ppo", "dpo"][random.nextInt(below: 4)])
                parts.append(["0", "1", "2", "x", "-3"][random.nextInt(below: 5)])
                if random.nextInt(below: 3) == 0 {
                    parts.append(Self.argument(&random, words: words, folder: folder.path))
                }
            case "set":
                parts.append(settings[random.nextInt(below: settings.count)])
                parts.append(Self.argument(&random, words: words, folder: folder.path))
            case "save", "export", "source", "load":
                // Only inside the test's own folder: `save` creates the folders it is given.
                if canonical == "export" { parts.append(["trace", "batch"][random.nextInt(below: 2)]) }
                let targets = ["\(folder.path)/cp", "\(folder.path)/missing/x", "\"\(folder.path)/a b\"",
                               "\(folder.path)/trace.json"]
                parts.append(targets[random.nextInt(below: targets.count)])
            case "evaluate", "eval":
                parts.append(["1", "2", "x", "0"][random.nextInt(below: 4)])
            default:
                for _ in 0..<random.nextInt(below: 4) {
                    parts.append(Self.argument(&random, words: words, folder: folder.path))
                }
            }
            var line = parts.joined(separator: random.nextInt(below: 8) == 0 ? "  \t" : " ")
            if random.nextInt(below: 10) == 0 { line += "\r" }
            counts.lines += 1
            if case .failed(let message) = fixture.outcome(line) {
                counts.failed += 1
                #expect(!message.isEmpty && !message.contains("\n"),
                        "one line for \(line.prefix(80)): \(message.prefix(300))")
                #expect(message.count < 1000, "a short message for \(line.prefix(80))")
            }
            _ = fixture.console.take()
        }
        #expect(counts.failed > 500 && counts.failed < counts.lines)
        #expect(fixture.run("prompt describe gulf shores .").contains("New episode"))
        #expect(fixture.run("step").contains("s0 -> a0"))
    }
}
