import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// Bugs found by the stage tests, each pinned by the test that found it.
@Suite("Regressions")
struct RegressionTests {
    /// PPOTrainer.updatePlan(batchSize:random:) cuts each epoch into groups of
    /// ceil(batch / num_mini_batches) rollouts, so when num_mini_batches does not divide
    /// the batch it takes fewer steps than asked: 4 rollouts with num_mini_batches = 3
    /// give 2 minibatches of 2 per epoch, not 3 (TRL refuses such a config outright:
    /// batch_size must be a multiple of num_mini_batches).
    /// Expected: num_ppo_epochs * num_mini_batches steps (or a clear error); before the fix it made fewer.
    @Test("updatePlan makes num_ppo_epochs x num_mini_batches steps even when the batch does not divide evenly")
    func bugUpdatePlanDropsMinibatches() {
        var config = TinyWorld.config
        config.numPPOEpochs = 2
        config.numMiniBatches = 3
        let world = TinyWorld(seed: 1, config: config)
        var random = RandomGenerator(seed: 1)
        let plan = world.trainer.updatePlan(batchSize: 4, random: &random)
        #expect(plan.count == 2 * 3, "planned \(plan.count) steps: \(plan.map { "\($0.epoch).\($0.minibatch) \($0.indices)" })")
    }

    /// DataFiles.sftExamples accepts `"prompt": ""`, but LanguageModelLoss.loss has the
    /// precondition "a prompt needs at least one token of context", so training on the
    /// loaded file crashes the process instead of reporting the line (user input must
    /// throw, never trap). Expected: DataError "<file>:1: field \"prompt\" is empty";
    /// before the fix the example loaded with an empty prompt.
    @Test("an SFT line with an empty prompt is an error naming the line, not a trap later")
    func bugEmptySFTPromptLoads() throws {
        let folder = TemporaryFolder()
        let path = folder.file("sft.jsonl", #"{"prompt": "", "completion": "great fun for your family !"}"#)
        #expect(throws: DataError(file: path, line: 1, message: "field \"prompt\" is empty")) {
            try DataFiles.loadSFT(path: path, tokenizer: WorldVocabulary.tokenizer, contextLength: 32)
        }
    }

    /// JSONValue once decoded the JSON number 1.0 as `.integer(1)` without saying so (JSONDecoder
    /// accepts an integral float as Int), so `"choice": 1.0` was choice 1 by accident while 0.5
    /// was "a number"; the fix then refused 1.0 too. Now the rule is stated and shared with the
    /// trace reader (`Int(json:at:)`): a number that is exactly an integer (`1.0`, as Python may
    /// write it) is that integer, and any other number is refused, shown in the message.
    @Test("\"choice\": 1.0 is the integer 1 on purpose, as in a trace; 1.5 is refused and shown")
    func bugIntegralFloatChoiceIsTheInteger() throws {
        let folder = TemporaryFolder()
        let line = #"{"input_text": "describe coral bay .", "candidate_0": "great fun !", "#
            + #""candidate_1": "quiet days .", "choice": 1.0}"#
        let pairs = try DataFiles.loadPreferences(path: folder.file("one.jsonl", line),
                                                  tokenizer: WorldVocabulary.tokenizer, contextLength: 32)
        #expect(pairs.map(\.chosenText) == ["quiet days ."])
        let path = folder.file("prefs.jsonl", line.replacingOccurrences(of: "1.0}", with: "1.5}"))
        #expect(throws: DataError(file: path, line: 1, message: "field \"choice\" should be an integer, found 1.5")) {
            try DataFiles.loadPreferences(path: path, tokenizer: WorldVocabulary.tokenizer, contextLength: 32)
        }
    }

    /// RolloutCollector.collect lets a response grow to min(response_length, context -
    /// prompt length) tokens. When a response is cut off by the context (no EOS), the
    /// reward model is then asked to score prompt + response + EOS, one token more than
    /// the context, and GPT2.hiddenStates traps ("sequence of 25 tokens exceeds the
    /// context of 24") inside RewardModel.score. A learner reaches this just by setting
    /// response_length high enough (here 30, with context 24 and a 7-token prompt).
    /// Expected: a response limit that leaves room for the EOS the reward model appends
    /// (or a clear error); before the fix, a trap.
    @Test("a response cut off by the context is scored at its last token, inside the context")
    func bugResponseFillingContextTraps() throws {
        var config = TinyWorld.config
        config.responseLength = 30
        var world = TinyWorld(seed: 1, config: config)
        let batch = try world.trainer.collectBatch(prompts: world.prompts, random: &world.random)
        for rollout in batch.rollouts where !rollout.endedWithEOS {
            #expect(rollout.promptTokens.count + rollout.tokenCount <= world.trainer.policy.model.config.contextLength)
            #expect(rollout.rewardModelScore == world.trainer.rewardModel.score(sequence: rollout.promptTokens + rollout.responseTokens))
        }
    }
}
