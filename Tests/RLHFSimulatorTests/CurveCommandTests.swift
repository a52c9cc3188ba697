import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import RLHFEngine
import RLHFStages
import RLHFSimulator

/// `set log_file`, `bestof` and `overoptimisation` at the prompt.
@Suite("Over-optimisation commands")
struct CurveCommandTests {
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-curves-\(UUID().uuidString)-\(name)").path
    }

    @Test("log_file: one JSON object per iteration of ppo, grpo, rloo and dpo, with TRL's names, gold and KL")
    func logLines() throws {
        let fixture = try SessionFixture(seed: 3)
        let path = Self.temporary("log.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(fixture.run("set log_file \(path)") == "log_file = \(path)\n")
        for line in ["train ppo 2", "train grpo 1", "train rloo 1", "train dpo 2"] {
            #expect(!fixture.run(line).contains("error"), "\(line)")
        }
        #expect(fixture.run("set log_file off") == "log_file = off\n")
        fixture.run("train ppo 1")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "\(text)")
        let expected: [(String, Int, [String])] = [
            ("ppo", 1, ["objective/kl", "objective/scores", "policy/clipfrac_avg", "gold/score"]),
            ("ppo", 2, ["objective/kl", "loss/value_avg", "gold/score"]),
            ("grpo", 1, ["reward", "reward_std", "frac_reward_zero_std", "clip_ratio/region_mean", "gold/score"]),
            ("rloo", 1, ["reward", "kl", "gold/score"]),
            ("dpo", 1, ["loss", "rewards/margins", "rewards/accuracies", "logps/chosen", "gold/score"]),
            ("dpo", 2, ["loss", "rewards/chosen", "gold/score"]),
        ]
        for (line, (algorithm, step, names)) in zip(lines, expected) {
            guard case let .object(members) = try JSONParser.parse(line) else {
                Issue.record("not an object: \(line)")
                continue
            }
            #expect(members["algorithm"] == .string(algorithm) && members["step"] == .integer(step), "\(line)")
            for name in names + ["kl_to_sft"] {
                guard case .number = members[name] else { Issue.record("\(name) missing in \(line)"); continue }
            }
        }
        // PPO's first iteration samples the SFT model itself: its KL to SFT is 0.
        if case let .object(first) = try JSONParser.parse(lines[0]) { #expect(first["kl_to_sft"] == .number(0)) }
    }

    @Test("log_file: a path that cannot take the log is one error at `set`, and the session goes on")
    func badLogPath() throws {
        let fixture = try SessionFixture()
        let missing = "/nonexistent-rlhf-folder/log.jsonl"
        let output = fixture.run("set log_file \(missing)")
        #expect(output.hasPrefix("error: log_file: \(missing): its folder") && output.split(separator: "\n").count == 1,
                "\(output)")
        #expect(fixture.run("show log_file").contains("off"))
        let folder = FileManager.default.temporaryDirectory.path
        #expect(fixture.run("set log_file \(folder)").contains("is a folder"))
        #expect(fixture.run("train ppo 1").contains("objective/scores"))
    }

    @Test("bestof: n 1 shows the mean scores of single samples; n 8 a higher rm score and a KL near the bound")
    func bestOf() throws {
        let fixture = try SessionFixture()
        let output = fixture.run("bestof 8")
        let rows = output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let one = try #require(rows.first { $0.first == "1" })
        let eight = try #require(rows.first { $0.first == "8" })
        // Best-of-1 keeps one sample: its rm and gold scores are the pools' mean scores. The pools drawn again
        // from the command's stream (the seed ^ 0xb0f), through `collect`, pool then reference per prompt.
        let session = fixture.session
        let prompts = session.data.heldOutPrompts.map(\.tokens)
        var random = RandomGenerator(seed: session.seed ^ 0xb0f)
        var (proxy, gold) = (0.0, 0.0)
        for prompt in prompts {
            let pool = session.trainer.collector.collect(prompts: Array(repeating: prompt, count: 256), random: &random)
            _ = session.trainer.collector.collect(prompts: Array(repeating: prompt, count: 256), random: &random)
            proxy += pool.map(\.rewardModelScore).reduce(0, +) / 256 / Double(prompts.count)
            gold += pool.map { $0.goldScore ?? .nan }.reduce(0, +) / 256 / Double(prompts.count)
        }
        #expect(abs(try #require(Double(one[1])) - proxy) <= 0.0005 + 1e-9, "rm \(one[1]) vs \(proxy): \(output)")
        #expect(abs(try #require(Double(one[2])) - gold) <= 0.0005 + 1e-9, "gold \(one[2]) vs \(gold): \(output)")
        // The best of 8 by the reward model scores higher by it than a single sample.
        #expect(try #require(Double(eight[1])) > Double(one[1])!, "\(output)")
        // No KL at n 1 (best-of-1 is the policy), measured or analytic.
        #expect(one[3] == "0.0000" && one[4] == "0.0000", "\(output)")
        let (measured, bound) = (try #require(Double(eight[3])), try #require(Double(eight[4])))
        // An estimate from 256 + 256 samples per prompt: the true KL is at most the bound, the estimate near it.
        #expect(bound == 1.2044 && measured > 0.5 * bound && measured < bound + 0.2, "\(output)")
        #expect(Double(eight[2])! > Double(one[2])!, "best-of-8's gold above a single sample's: \(output)")
        #expect(!output.contains("KL is never below 0"), "no note where every KL is at least 0")
    }

    @Test("bestof from a nearly deterministic policy: a measured KL below 0 is explained as sampling error")
    func negativeKLExplained() throws {
        let fixture = try SessionFixture()
        _ = fixture.run("set temperature 0.01")
        let output = fixture.run("bestof 64")
        let rows = output.split(separator: "\n").map { $0.split(separator: " ") }
        let row = try #require(rows.first { $0.first == "64" })
        #expect(try #require(Double(String(row[3]))) < 0, "\(output)")
        #expect(output.contains("KL is never below 0: a value below 0 here is the estimate's sampling error."))
    }

    @Test("overoptimisation: fits, a plot within 100 columns, SVG well-formed and byte-identical; session untouched")
    func curves() throws {
        let fixture = try SessionFixture(seed: 2)
        let session = fixture.session
        let weights = session.policy.parameters.map(\.data)
        let (first, second) = (Self.temporary("a.svg"), Self.temporary("b.svg"))
        defer { for path in [first, second] { try? FileManager.default.removeItem(atPath: path) } }
        let output = fixture.run("overoptimisation 4 0,0.1 \(first)")
        #expect(!output.contains("error") && output.contains("Wrote \(first)"), "\(output)")
        #expect(output.contains("best-of-n     d (alpha - beta d)") && output.contains("ppo beta 0.1"), "\(output)")
        for line in output.split(separator: "\n") { #expect(line.count <= 100, "too wide: \(line)") }
        #expect(output.contains("d = sqrt(KL)") && output.unicodeScalars.allSatisfy(\.isASCII),
                "a script's plot is plain ASCII")
        #expect(session.policy.parameters.map(\.data) == weights, "the session's policy is left as it was")
        let again = fixture.run("overoptimisation 4 0,0.1 \(second)")
        #expect(again == output.replacingOccurrences(of: first, with: second))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: first))
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: second))), "the same run writes the same bytes")
        let parser = XMLParser(data: bytes)
        #expect(parser.parse(), "well-formed XML: \(String(describing: parser.parserError))")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("<svg xmlns=\"http://www.w3.org/2000/svg\"") && text.hasSuffix("</svg>\n"))
        #expect(text.components(separatedBy: "<polyline").count - 1 >= 6, "three runs in two panels, and fits")
    }

    @Test("overoptimisation: Ctrl-C stops after the current Adam step, shows what was measured, changes nothing")
    func interrupted() throws {
        let fixture = try SessionFixture(seed: 1)
        let weights = fixture.session.policy.parameters.map(\.data)
        var asked = 0
        // Best-of-n asks once; then 8 Adam steps and the end of iteration 1 of the first PPO run: the 10th.
        let console = TextConsole { asked += 1; return asked >= 10 }
        #expect(fixture.interpreter.execute("overoptimisation 20 0,0.1", console: console) == .done)
        let output = console.take()
        #expect(output.contains("Stopped: what was measured so far is below."), "\(output)")
        #expect(output.contains("ppo beta 0 ") && !output.contains("ppo beta 0.1"), "\(output)")
        #expect(output.contains("it 1 ") && !output.contains("it 2 "), "measured where it stopped: \(output)")
        #expect(fixture.session.policy.parameters.map(\.data) == weights)
    }
}
