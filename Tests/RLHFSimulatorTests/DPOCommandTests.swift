import Foundation
import Testing
import RLHFEngine
import RLHFStages
import RLHFSimulator

/// DPO at the prompt: `train dpo`, `pairs`, the dpo.* settings, and what DPO does to the world.
@Suite("DPO commands")
struct DPOCommandTests {
    @Test("train dpo 40 lifts the held-out gold score above the SFT model's, with no reward model")
    func goldAboveSFT() throws {
        let fixture = try SessionFixture(seed: 0)
        let session = fixture.session
        let rewardWeights = session.reward.backbone.parameters.map(\.data)
        let output = fixture.run("train dpo 40")
        #expect(output.contains("rewards/accuracies") && output.contains("eval_rewards/margins"), "\(output)")
        let prompts = session.data.heldOutPrompts.map(\.tokens)
        let sft = RolloutCollector(policy: ActorCritic(model: session.sft, valueHead: session.policy.valueHead),
                                   reference: session.sft, rewardModel: session.reward, annotator: session.annotator,
                                   tokenizer: session.tokenizer, config: session.config)
        let seed = HeldOutEvaluation.standardSeed
        let before = HeldOutEvaluation.run(collector: sft, prompts: prompts, perPrompt: 8, seed: seed)
        let after = HeldOutEvaluation.run(collector: session.trainer.collector, prompts: prompts, perPrompt: 8,
                                          seed: seed)
        #expect(after.goldScore! > before.goldScore!, "gold: SFT \(before.goldScore!), DPO \(after.goldScore!)")
        #expect(after.kl > 0, "the policy moved away from the SFT model: KL \(after.kl)")
        #expect(session.reward.backbone.parameters.map(\.data) == rewardWeights, "DPO never touches the reward model")
        #expect(fixture.run("evaluate").contains("policy"))
    }

    @Test("DPO's events carry the policy's gold/score and kl_to_sft after each step, on evaluate's draws")
    func eventsCarryHeldOutSamples() throws {
        let session = try SessionFixture(seed: 0).session
        let trainer = DPOTrainer(policy: session.policy.model, reference: session.sft, tokenizer: session.tokenizer,
                                 config: session.dpoConfig)
        let prompts = session.data.heldOutPrompts.map(\.tokens)
        let collector = RolloutCollector(policy: session.policy, reference: session.sft, rewardModel: session.reward,
                                         annotator: session.annotator, tokenizer: session.tokenizer,
                                         config: session.config)
        var random = RandomGenerator(seed: 1)
        let plain = trainer.train(training: session.data.preferenceTraining, heldOut: [], steps: 1, random: &random)
        #expect(plain.events[0].value("kl_to_sft") == nil, "no sampling asked for: no kl_to_sft")
        trainer.heldOutSampling = HeldOutSampling(collector: collector, prompts: prompts, perPrompt: 4)
        var seen: [[Metric]] = []
        let history = trainer.train(training: session.data.preferenceTraining, heldOut: [], steps: 2,
                                    random: &random) { event in seen.append(event.metrics); return .proceed }
        // After the last step, the same draws measured outside the trainer give the same numbers.
        let held = HeldOutEvaluation.run(collector: collector, prompts: prompts, perPrompt: 4,
                                         seed: HeldOutEvaluation.standardSeed)
        #expect(held.kl > 0, "two DPO steps moved the policy off the SFT model")
        #expect(Array(try #require(seen.last).suffix(2))
            == [Metric("gold/score", try #require(held.goldScore)), Metric("kl_to_sft", held.kl)])
        #expect(history.events.map(\.metrics) == seen, "the history holds what the events reported")
    }

    /// Lesson 15's narration states these; if the world changes, the test says which claim broke.
    @Test("lesson 15's claims: rejected rewards fall further than chosen ones rise; beta 0.02 drifts no further")
    func lessonClaims() throws {
        typealias Outcome = (metrics: [String: Double], sft: HeldOutEvaluation, policy: HeldOutEvaluation)
        func run(beta: Double) throws -> Outcome {
            let fixture = try SessionFixture(seed: 0)
            fixture.run("set dpo.beta \(beta)")
            fixture.run("train dpo 40")
            let session = fixture.session
            let trainer = DPOTrainer(policy: session.policy.model, reference: session.sft,
                                     tokenizer: session.tokenizer, config: session.dpoConfig)
            let metrics = Dictionary(uniqueKeysWithValues: trainer.evaluate(session.data.preferenceHeldOut)
                .map { ($0.name, $0.value) })
            let prompts = session.data.heldOutPrompts.map(\.tokens)
            let sft = RolloutCollector(policy: ActorCritic(model: session.sft, valueHead: session.policy.valueHead),
                                       reference: session.sft, rewardModel: session.reward,
                                       annotator: session.annotator, tokenizer: session.tokenizer,
                                       config: session.config)
            let seed = HeldOutEvaluation.standardSeed
            return (metrics, HeldOutEvaluation.run(collector: sft, prompts: prompts, perPrompt: 8, seed: seed),
                    HeldOutEvaluation.run(collector: session.trainer.collector, prompts: prompts, perPrompt: 8,
                                          seed: seed))
        }
        let standard = try run(beta: 0.1)
        let chosen = standard.metrics["eval_rewards/chosen"]!, rejected = standard.metrics["eval_rewards/rejected"]!
        #expect(-rejected > 2 * abs(chosen), "eval_rewards/chosen \(chosen), eval_rewards/rejected \(rejected)")
        #expect(standard.policy.rewardModelScore > standard.sft.rewardModelScore, "the rm score rose too")
        let small = try run(beta: 0.02)
        let ratio = standard.metrics["eval_rewards/margins"]! / small.metrics["eval_rewards/margins"]!
        #expect(ratio > 4 && ratio < 6.5, "margins about five times smaller: ratio \(ratio)")
        // z = margin / beta, the log-ratio gap, came out about the same for both betas.
        let gapRatio = ratio * 0.02 / 0.1
        #expect(gapRatio > 0.8 && gapRatio < 1.25, "z about the same: ratio \(gapRatio)")
        #expect(small.policy.kl > 0 && small.policy.kl <= standard.policy.kl,
                "a smaller beta did not drift further: kl \(small.policy.kl) against \(standard.policy.kl)")
    }

    @Test("pairs before training: the policy is the SFT model, so every reward is 0 and every loss log 2")
    func pairsBeforeTraining() throws {
        let fixture = try SessionFixture()
        let output = fixture.run("pairs 2")
        #expect(output.contains("2 of the 160 held-out pairs"), "\(output)")
        #expect(output.components(separatedBy: "0.6931").count - 1 == 3, "two pair losses and eval_loss: \(output)")
        // Long lines wrap at 120 columns with a two-space hanging indent: read them joined.
        #expect(output.replacingOccurrences(of: "\n  ", with: " ").contains("eval_rewards/accuracies 0.0000"),
                "\(output)")
        #expect(fixture.run("pairs 0").hasPrefix("error: N must be"))
        #expect(fixture.run("pairs 2 /nonexistent.jsonl").hasPrefix("error: "))
    }

    @Test("the dpo.* settings under TRL's names, checked; a bad file trains nothing")
    func settingsAndErrors() throws {
        let fixture = try SessionFixture()
        #expect(fixture.run("set dpo.loss_type ipo") == "dpo.loss_type = ipo\n")
        #expect(fixture.run("set dpo.loss_type squared").hasPrefix("error: dpo.loss_type takes one of sigmoid, hinge, ipo"))
        #expect(fixture.run("set dpo.beta 0").hasPrefix("error: dpo.beta takes a number"))
        #expect(fixture.run("show dpo.learning_rate").contains("0.0001"))
        #expect(fixture.run("pairs 1").contains("mean log-prob per token, beta 0.1, loss_type ipo"))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-dpo-\(UUID().uuidString).jsonl")
        try (#"{"prompt": "describe coral bay.", "chosen": "swim at coral bay!", "rejected": "rest."}"# + "\n"
             + #"{"prompt": "describe coral bay.", "chosen": "zebra"}"# + "\n")
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let weights = fixture.session.policy.model.parameters.map(\.data)
        let failure = fixture.run("train dpo 3 \(file.path)")
        #expect(failure.hasPrefix("error: \(file.path):2"), "\(failure)")
        #expect(!failure.dropLast().contains("\n"), "one line: \(failure)")
        #expect(fixture.session.policy.model.parameters.map(\.data) == weights, "no step was taken")
    }
}
