import Foundation
import RLHFSimulator
import RLHFStages
import Testing

/// Each setting is declared once, as a config's `ConfigField`: `set`, `show`, tab completion, `help set`
/// and the trace files all derive from that declaration.
@Suite("Settings declared once")
struct SettingDeclarationTests {
    /// Every setting `set` offers under PPO: PPO's listed fields, label_file, and DPO's behind `dpo.`.
    static let names = PPOConfig.fields.listed().map(\.name) + ["label_file"]
        + DPOConfig.fields.listed().map { "dpo." + $0.name }

    /// Values to try as a setting's non-default: one of them fits each setting's type and range.
    static let candidates = ["0.5", "3", "0.25", "none", "k3", "k1", "true", "false", "after_eos", "eos",
                             "replace", "subtract", "hinge", "sigmoid", "/tmp/rlhf-setting-test-labels.jsonl"]

    @Test("every setting: `set NAME VALUE` echoes it, `show NAME` prints it, completion offers it")
    func setShowComplete() throws {
        let fixture = try SessionFixture()
        let completions = fixture.interpreter.completions(lineBeforeCursor: "set ", word: "")
        let shown = fixture.run("show")
        for name in Self.names {
            let rows = shown.split(separator: "\n").map { $0.drop { $0 == " " } }
            let row = try #require(rows.first { $0.hasPrefix(name + " ") }, "show lists \(name)")
            let value = String(row.dropFirst(name.count).trimmingCharacters(in: .whitespaces).prefix { $0 != " " })
            #expect(fixture.run("set \(name) \(value)") == "\(name) = \(value)\n")
            #expect(fixture.run("show \(name)").contains(" \(value) "))
            #expect(completions.contains(name), "completion offers \(name)")
            // A different value must be written, shown, and then put back.
            let other = Self.candidates.first { $0 != value && fixture.run("set \(name) \($0)") == "\(name) = \($0)\n" }
            let changed = try #require(other, "some value other than \(value) is accepted by \(name)")
            #expect(fixture.run("show \(name)").contains(" \(changed) "), "show \(name) after set")
            #expect(fixture.run("set \(name) \(value)") == "\(name) = \(value)\n")
        }
        #expect(shown.split(separator: "\n").count > Self.names.count)
        let help = fixture.run("help set").replacingOccurrences(of: "\n  ", with: " ")
        for name in Self.names { #expect(help.contains(" \(name),") || help.contains(" \(name).")) }
    }

    @Test("a changed PPO setting reaches the trace: set, export trace and read it back", arguments: [
        ("gamma", "0.5"), ("kl_estimator", "k3"), ("whiten_rewards", "true"), ("adaptive_kl_target", "6"),
        ("missing_eos_penalty", "none"), ("top_k", "5"), ("score_position", "after_eos"), ("vf_coef", "0.25"),
    ])
    func traceCarriesSetting(name: String, value: String) throws {
        let fixture = try SessionFixture()
        #expect(fixture.run("set \(name) \(value)") == "\(name) = \(value)\n")
        _ = fixture.run("batch 2")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-setting-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(!fixture.run("export trace \(path)").hasPrefix("error"))
        let trace = try PPOTraceExport.read(path: path)
        let field = try #require(PPOConfig.fields.first { $0.name == name })
        #expect(field.read(trace.config) == value)
        #expect(trace.config == fixture.session.config)
    }

    @Test("a value out of range names the setting and what it takes; the setting keeps its value")
    func refusals() throws {
        let fixture = try SessionFixture()
        #expect(fixture.run("set kl_estimator k2") == "error: kl_estimator takes k1 or k3, not \"k2\"\n")
        #expect(fixture.run("set dpo.learning_rate 2").hasPrefix("error: dpo.learning_rate takes a number from "))
        #expect(fixture.run("show dpo.learning_rate").contains("0.0001"))
        #expect(fixture.run("set top_k -1") == "error: top_k takes a whole number from 0 to 1000, not \"-1\"\n")
        #expect(fixture.session.config == PPOConfig())
    }

    @Test("the shared names stand once: PPO, GRPO, RLOO and DPO declare learning_rate with the same range")
    func sharedDeclarations() throws {
        for name in ["learning_rate", "max_grad_norm"] {
            var ppo = PPOConfig(), grpo = GRPOConfig(), rloo = RLOOConfig(), dpo = DPOConfig()
            let fields = try (#require(PPOConfig.fields.first { $0.name == name }),
                              #require(GRPOConfig.fields.first { $0.name == name }),
                              #require(RLOOConfig.fields.first { $0.name == name }),
                              #require(DPOConfig.fields.first { $0.name == name }))
            try fields.0.set(&ppo, to: "0.5")
            try fields.1.set(&grpo, to: "0.5")
            try fields.2.set(&rloo, to: "0.5")
            try fields.3.set(&dpo, to: "0.5")
            #expect([fields.0.read(ppo), fields.1.read(grpo), fields.2.read(rloo), fields.3.read(dpo)]
                == ["0.5", "0.5", "0.5", "0.5"])
            #expect(throws: ConfigFieldError.self) { try fields.1.set(&grpo, to: "2e6") }
        }
    }
}
