import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// Supervised fine-tuning on the built-in world's prompt/response pairs.
@Suite("Supervised fine-tuning")
struct SupervisedTrainerTests {
    static let model = GPT2Config(vocabularySize: WorldVocabulary.tokens.count, contextLength: 32,
                                  embeddingWidth: 16, layerCount: 1, headCount: 2)

    /// Every prompt with every response for its resort, written as an SFT file and
    /// loaded back, then split 80/20 by a seeded shuffle.
    static func examples(seed: UInt64) throws -> (training: [PromptResponse], heldOut: [PromptResponse]) {
        var lines: [String] = []
        for template in WorldText.promptTemplates {
            for place in WorldText.places {
                for response in WorldText.responseTemplates {
                    let object = ["prompt": WorldText.fill(template, place: place),
                                  "completion": WorldText.fill(response, place: place)]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    lines.append(String(decoding: data, as: UTF8.self))
                }
            }
        }
        let folder = TemporaryFolder()
        let examples = try DataFiles.loadSFT(path: folder.file("sft.jsonl", lines.joined(separator: "\n")),
                                             tokenizer: WorldVocabulary.tokenizer, contextLength: 32)
        #expect(examples.count == 3 * 5 * 18)
        var random = RandomGenerator(seed: seed)
        let shuffled = random.shuffled(examples.map(\.tokens))
        let heldOut = shuffled.count / 5
        return (Array(shuffled.dropFirst(heldOut)), Array(shuffled.prefix(heldOut)))
    }

    @Test("a short run from a fixed seed lowers the held-out loss")
    func lowersHeldOutLoss() throws {
        let (training, heldOut) = try Self.examples(seed: 1)
        var random = RandomGenerator(seed: 42)
        let model = GPT2(config: Self.model, random: &random)
        var config = SupervisedConfig()
        config.evaluationInterval = 10
        let trainer = SupervisedTrainer(model: model, tokenizer: WorldVocabulary.tokenizer, config: config)
        let before = trainer.evaluate(heldOut)
        // A random model over 62 tokens starts near log 62 = 4.13 nats.
        #expect(abs(before - 4.127) < 0.3)
        let history = trainer.train(training: training, heldOut: heldOut, steps: 40, random: &random)
        let after = trainer.evaluate(heldOut)
        #expect(after < before - 0.5, "held-out loss \(before) -> \(after)")
        #expect(history.events.count == 40 && !history.stoppedEarly)
        // eval_loss every 10 steps, the last at step 40 equal to a fresh evaluation.
        #expect(history.series("eval_loss").count == 4)
        #expect(history.series("eval_loss").last == after)
        #expect(history.series("loss").count == 40)
    }

    @Test("the same seed gives the same run")
    func deterministic() throws {
        let (training, heldOut) = try Self.examples(seed: 1)
        func run() -> ([Double], [Float]) {
            var random = RandomGenerator(seed: 5)
            let model = GPT2(config: Self.model, random: &random)
            let trainer = SupervisedTrainer(model: model, tokenizer: WorldVocabulary.tokenizer)
            let history = trainer.train(training: training, heldOut: heldOut, steps: 5, random: &random)
            return (history.series("loss"), model.parameters.flatMap(\.data))
        }
        let (first, second) = (run(), run())
        #expect(first.0 == second.0 && first.1 == second.1)
    }

    @Test("the callback's .stop ends the run after that whole step")
    func stopAfterWholeStep() throws {
        let (training, heldOut) = try Self.examples(seed: 1)
        func trainer(_ random: inout RandomGenerator) -> SupervisedTrainer {
            SupervisedTrainer(model: GPT2(config: Self.model, random: &random), tokenizer: WorldVocabulary.tokenizer)
        }
        // Stopped at step 3 of 10...
        var random = RandomGenerator(seed: 8)
        let stopped = trainer(&random)
        var seen: [Int] = []
        let history = stopped.train(training: training, heldOut: heldOut, steps: 10, random: &random) { event in
            seen.append(event.step)
            return event.step == 3 ? .stop : .proceed
        }
        #expect(seen == [1, 2, 3])
        #expect(history.stoppedEarly && history.events.count == 3)
        #expect(stopped.optimizer.stepCount == 3)
        // ... the model is exactly as after a 3-step run: step 3 was applied whole.
        var again = RandomGenerator(seed: 8)
        let full = trainer(&again)
        _ = full.train(training: training, heldOut: heldOut, steps: 3, random: &again)
        #expect(stopped.model.parameters.map(\.data) == full.model.parameters.map(\.data))
        #expect(random == again)
    }
}
