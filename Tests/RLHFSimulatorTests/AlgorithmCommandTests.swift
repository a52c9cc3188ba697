import Foundation
import Testing
import RLHFEngine
import RLHFStages
import RLHFSimulator

@Suite("set algorithm: the verbs under GRPO and RLOO")
struct AlgorithmCommandTests {
    @Test("under grpo: batch shows the groups, advantages their mean and std, update step every token's weight")
    func grpoVerbs() throws {
        let fixture = try SessionFixture(seed: 3)
        #expect(fixture.run("set algorithm grpo") == "algorithm = grpo\n")
        #expect(fixture.run("set num_generations 4") == "num_generations = 4\n")
        #expect(fixture.run("set num_iterations 2") == "num_iterations = 2\n")
        let batch = fixture.run("batch 2")
        #expect(batch.contains("GRPO batch: 2 prompts x 4 completions = 8"))
        #expect(batch.contains("Group 0:") && batch.contains("Group 1:"))
        let state = fixture.session.algorithms
        let collected = try #require(state.batch)
        #expect(collected.rollouts.count == 8)
        #expect(fixture.run("advantages 1").contains("rewards' mean \(Format.signed(collected.groups[1].mean, 4))"))
        let credit = fixture.run("credit 5")
        #expect(credit.contains("GRPO gives every token the completion's advantage A = "
            + Format.signed(collected.advantages[5], 4)))
        let first = fixture.run("update step")
        // Long lines wrap at 120 columns with a two-space hanging indent: read them joined.
        #expect(first.replacingOccurrences(of: "\n  ", with: " ").contains("weight (dapo) = 1 / tokens of the batch"))
        #expect(first.contains("Step 1 of 2 done"))
        #expect(state.steps[0].units.allSatisfy { $0.ratio == 1 })
        let last = fixture.run("update step")
        #expect(last.contains("Update finished"))
        for name in ["reward", "reward_std", "frac_reward_zero_std", "kl", "entropy", "clip_ratio/low_mean",
                     "clip_ratio/high_mean", "clip_ratio/region_mean", "completions/mean_length"] {
            #expect(last.contains(name), "missing metric \(name)")
        }
        #expect(fixture.run("update").contains("already been used"))
        // PPO's own batch is untouched, and PPO's verbs come back with `set algorithm ppo`.
        #expect(fixture.session.batch == nil)
        _ = fixture.run("set algorithm ppo")
        #expect(fixture.run("advantages").contains("no episode"))
    }

    @Test("advantages shows the formula its batch was computed with, and says when today's settings differ")
    func advantagesAfterASettingChange() throws {
        let fixture = try SessionFixture()
        for line in ["set algorithm grpo", "set num_generations 4", "set generation_batch_size 8", "batch"] {
            _ = fixture.run(line)
        }
        #expect(fixture.run("advantages 0").hasPrefix("GRPO: A_i = (r_i - group mean) / (group std + 1e-4)\nGroup 0"))
        _ = fixture.run("set scale_rewards none")
        let changed = fixture.run("advantages 0")
        #expect(changed.hasPrefix("GRPO: A_i = (r_i - group mean) / (group std + 1e-4)\nSettings changed since this "
                                  + "batch was computed"), "\(changed)")
        #expect(changed.contains("today's settings give A_i = r_i - group mean."))
        // `reward N` opens a PPO rollout: under grpo it says where a group batch's numbers are.
        #expect(fixture.run("reward 0").hasPrefix("error: N names a rollout of a PPO batch, and there is none: "
                                                  + "under grpo, `batch` lists"))
    }

    @Test("under rloo: one ratio per completion, the KL in the reward")
    func rlooVerbs() throws {
        let fixture = try SessionFixture(seed: 4)
        _ = fixture.run("set algorithm rloo")
        let batch = fixture.run("batch 3")
        #expect(batch.contains("RLOO batch: 3 prompts x 2 completions = 6"))
        #expect(fixture.run("advantages").contains("- beta kl"))
        let step = fixture.run("update step")
        #expect(step.contains("sum log p_new"))
        #expect(step.contains("Update finished"))
    }

    @Test("train grpo and train rloo run from any algorithm; bad settings and names give one clear error")
    func trainAndErrors() throws {
        let fixture = try SessionFixture(seed: 5)
        let trained = fixture.run("train grpo 2")
        #expect(trained.contains("GRPO: 2 iterations of 2 prompts x 8 completions, 1 Adam step each."))
        #expect(trained.contains("frac_reward_zero_std"))
        #expect(fixture.run("train rloo 1").contains("RLOO: 1 iteration of 8 prompts x 2 completions"))
        #expect(fixture.run("set algorithm dpo2") == "error: algorithm takes ppo, grpo or rloo, not \"dpo2\"\n")
        _ = fixture.run("set algorithm grpo")
        #expect(fixture.run("set loss_type sum").hasPrefix("error: loss_type takes one of grpo, bnpo, dr_grpo, dapo"))
        #expect(fixture.run("set num_generations 3") == "num_generations = 3\n")
        #expect(fixture.run("batch 1").contains("generation_batch_size (16) must be a multiple of num_generations (3)"))
        // A PPO-only name still reaches PPO's settings.
        #expect(fixture.run("set kl_coef 0.1") == "kl_coef = 0.1\n")
        #expect(fixture.session.config.klCoef == 0.1)
        _ = fixture.run("restart")
        #expect(fixture.session.algorithms.algorithm == .ppo)
    }

    @Test("the same seed and commands give the same transcript")
    func deterministic() throws {
        func transcript() throws -> String {
            let fixture = try SessionFixture(seed: 9)
            return ["set algorithm grpo", "set num_generations 4", "set generation_batch_size 8", "batch",
                    "update step",
                    "advantages", "set algorithm rloo", "train rloo 1", "advantages"].map(fixture.run).joined()
        }
        #expect(try transcript() == transcript())
    }
}
