import Foundation
import Testing
import RLHFEngine
import RLHFStages
import RLHFSimulator

/// What `reward`, `advantages`, `credit`, `logits`, `update` and `export trace` show stays true to the numbers.
@Suite("Inspecting views")
struct InspectViewTests {
    @Test("a one-token episode: reward needs no whitening; advantages and credit show raw A_t and say why")
    func oneTokenEpisode() throws {
        let fixture = try SessionFixture(seed: 4)
        _ = fixture.run("prompt create a description for plantation palms .")
        _ = fixture.run("step eos")
        let reward = fixture.run("reward")
        #expect(!reward.contains("error"))
        #expect(reward.contains("= r_t"))
        let advantages = fixture.run("advantages")
        #expect(advantages.contains("raw A_t") && advantages.contains("two or more tokens"))
        let credit = fixture.run("credit")
        #expect(credit.contains("raw A_t") && credit.contains("two or more tokens"))
        _ = fixture.run("set whiten_rewards true")
        #expect(fixture.run("reward").contains("one token cannot be whitened"))
    }

    @Test("a batch's views use the settings it was computed with and say which changed since")
    func batchKeepsItsSettings() throws {
        let fixture = try SessionFixture(seed: 5)
        _ = fixture.run("batch 4")
        let before = fixture.run("credit 0")
        #expect(!before.contains("Settings changed"))
        _ = fixture.run("set gamma 0.5")
        let advantages = fixture.run("advantages 0")
        #expect(advantages.contains("gamma = 1.00"))
        #expect(advantages.contains("Settings changed since this batch was computed: gamma 1 (now 0.5)"))
        // credit splits with the batch's gamma, so its table is the one it showed before the change.
        let after = fixture.run("credit 0")
        #expect(after.hasPrefix(before.trimmingCharacters(in: .newlines)))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-view-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(fixture.run("export trace \(path)").contains("the trace's config holds the batch's"))
        #expect(try PPOTraceExport.read(path: path).config.gamma == 1)
    }

    @Test("objective/kl_coef is the beta the batch was shaped with, after `set kl_coef` in the middle of an update")
    func klCoefOfTheBatch() throws {
        let fixture = try SessionFixture(seed: 6)
        _ = fixture.run("batch 4")
        _ = fixture.run("update step")
        _ = fixture.run("set kl_coef 0.2")
        _ = fixture.run("update")
        let iteration = try #require(fixture.session.lastIteration)
        let shapedWith = PPOConfig().klCoef
        #expect(shapedWith != 0.2)
        #expect(iteration.batch.klCoef == shapedWith)
        #expect(iteration.metrics.first { $0.name == "objective/kl_coef" }?.value == shapedWith)
    }

    @Test("with top_k, logits shows the sampled distribution beside the full softmax that log-probs use")
    func logitsUnderTopK() throws {
        let fixture = try SessionFixture(seed: 7)
        _ = fixture.run("prompt create a description for plantation palms .")
        #expect(!fixture.run("logits 5").contains("p(sampled"))
        _ = fixture.run("set top_k 2")
        let shown = fixture.run("logits 5")
        #expect(shown.contains("p(sampled, top_k 2)") && shown.contains("p(policy)"))
        #expect(shown.contains("the full softmax"))
    }

    @Test("<pad>, listed by logits, can be forced by step")
    func padAgrees() throws {
        let fixture = try SessionFixture(seed: 8)
        _ = fixture.run("prompt create a description for plantation palms .")
        #expect(fixture.run("logits 62").contains("<pad>"))
        #expect(fixture.run("step <pad>").contains("a0 = \"<pad>\""))
    }

    @Test("colour codes take no room in a table's columns")
    func colourKeepsColumns() {
        let style = Style(enabled: true)
        var coloured = Table([.init("a", .left), .init("b"), .init("c")])
        var plain = coloured
        coloured.add([style.yellow("yes"), style.green("+0.5"), "x"])
        coloured.add(["", style.red("-12.25"), "y"])
        plain.add(["yes", "+0.5", "x"])
        plain.add(["", "-12.25", "y"])
        let stripped = coloured.render().replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "",
                                                              options: .regularExpression)
        #expect(stripped == plain.render())
        #expect(Table.visibleWidth(style.bold("abc")) == 3)
    }

    @Test("the whitened advantage is named apart from the raw one in update step and the summary")
    func namesApart() throws {
        let fixture = try SessionFixture(seed: 9)
        _ = fixture.run("batch 4")
        #expect(fixture.run("update step").contains("whitened A_t"))
        #expect(fixture.run("update").contains("whitened A_t"))
        #expect(fixture.run("advantages 1").contains("raw A_t"))
    }
}

@Suite("README's table of defaults")
struct ReadmeDefaultsTests {
    @Test("the README's \"here\" column is PPOConfig's defaults")
    func defaultsColumnMatches() throws {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let defaults = Dictionary(uniqueKeysWithValues: PPOConfig.fields.map { ($0.name, $0.read(PPOConfig())) })
        var checked = 0
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 4, cells[0].hasPrefix("`"), cells[0].hasSuffix("`") else { continue }
            let name = String(cells[0].dropFirst().dropLast())
            guard let value = defaults[name] else { continue }
            let shown = cells[1]
            if let a = Double(shown), let b = Double(value) {
                #expect(a == b, "README says \(name) = \(shown), PPOConfig has \(value)")
            } else {
                #expect(shown == value, "README says \(name) = \(shown), PPOConfig has \(value)")
            }
            checked += 1
        }
        #expect(checked >= 15)
    }
}
