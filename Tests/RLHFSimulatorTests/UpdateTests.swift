import Foundation
import Testing
import RLHFEngine
import RLHFStages
import RLHFSimulator

@Suite("A whole PPO update through the interpreter")
struct UpdateTests {
    @Test("batch, update step through every minibatch, then the summary; ratios start at exactly 1")
    func steppedUpdate() throws {
        let fixture = try SessionFixture(seed: 5)
        _ = fixture.run("set batch_size 6")
        let collected = fixture.run("batch")
        #expect(collected.contains("Collected 6 rollouts"))
        let batch = try #require(fixture.session.batch)
        let first = fixture.run("update step")
        #expect(first.contains("Epoch 0, minibatch 0"))
        #expect(first.contains("Step 1 of 8 done"))
        let pending = try #require(fixture.session.pendingUpdate)
        // Before any step the policy is the one that sampled: every ratio is exactly 1.
        for row in pending.records[0].ratio { for ratio in row { #expect(ratio == 1) } }
        for _ in 2...7 { #expect(fixture.run("update step").contains("done")) }
        let last = fixture.run("update step")
        #expect(last.contains("Update finished. TRL's metrics for this iteration:"))
        for name in ["objective/kl", "objective/entropy", "objective/non_score_reward", "objective/rlhf_reward",
                     "objective/scores", "policy/approxkl_avg", "policy/clipfrac_avg", "loss/policy_avg",
                     "loss/value_avg", "val/clipfrac_avg", "policy/entropy_avg", "val/ratio", "gold/score"] {
            #expect(last.contains(name), "missing metric \(name)")
        }
        let iteration = try #require(fixture.session.lastIteration)
        #expect(iteration.updates.count == 8)
        #expect(iteration.batch == batch)
        #expect(fixture.run("update").contains("already been used"))
    }

    @Test("`update` runs every step at once, and the same seed gives the same transcript")
    func deterministicUpdate() throws {
        func transcript() throws -> String {
            let fixture = try SessionFixture(seed: 9)
            return ["set batch_size 4", "batch", "update", "advantages 1", "credit 2", "reward 3"].map(fixture.run).joined()
        }
        let once = try transcript()
        #expect(once.contains("Update finished"))
        #expect(!once.contains("error:"))
        #expect(try transcript() == once)
    }

    @Test("train ppo runs iterations and reports TRL's metrics with sparklines")
    func trainPPO() throws {
        let fixture = try SessionFixture(seed: 1)
        _ = fixture.run("set batch_size 4")
        let output = fixture.run("train ppo 2")
        #expect(output.contains("PPO: 2 iterations of 4 rollouts each."))
        #expect(output.contains("objective/scores"))
        #expect(fixture.session.lastIteration?.updates.count == 8)
    }
}

@Suite("export trace")
struct ExportCommandTests {
    @Test("export trace writes the last batch and its update; reading it back gives the same numbers")
    func exportAfterUpdate() throws {
        let fixture = try SessionFixture(seed: 4)
        #expect(fixture.run("export trace /tmp/x.json").contains("no batch yet"))
        _ = fixture.run("set batch_size 3")
        _ = fixture.run("batch")
        _ = fixture.run("update")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-trace-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(fixture.run("export trace \(path)").contains("3 rollouts and 8 update steps"))
        let trace = try PPOTraceExport.read(path: path)
        let iteration = try #require(fixture.session.lastIteration)
        #expect(trace.rolloutBatch() == iteration.batch)
        #expect(trace.minibatchRecords() == iteration.updates)
    }
}

@Suite("train sft 0")
struct BaseAsPolicyTests {
    @Test("train sft 0 makes the base model the SFT model, the reference and the policy")
    func baseModelAsSFT() throws {
        let fixture = try SessionFixture()
        #expect(fixture.run("train sft 0").contains("exact copy of the base model"))
        let base = fixture.session.base.parameters.map(\.data)
        #expect(fixture.session.sft.parameters.map(\.data) == base)
        #expect(fixture.session.policy.model.parameters.map(\.data) == base)
        #expect(fixture.run("train rm 0").contains("N must be a whole number from 1"))
    }
}
