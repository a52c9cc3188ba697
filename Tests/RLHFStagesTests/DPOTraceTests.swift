import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// The DPO trace: every pair's loss can be recomputed from the file alone.
@Suite("DPO trace")
struct DPOTraceTests {
    @Test("from the file alone: token log-probs sum to the logps; rewards, logits, losses recompute; same bytes twice")
    func recompute() throws {
        let tokenizer = WorldVocabulary.tokenizer
        var random = RandomGenerator(seed: 8)
        let reference = GPT2(config: TinyWorld.model, random: &random)
        var config = DPOConfig()
        config.learningRate = 1e-2
        config.perDeviceTrainBatchSize = 2
        let trainer = DPOTrainer(policy: reference.copy(), reference: reference, tokenizer: tokenizer, config: config)
        let pairs = try DPOTrainerTests.pairs()
        _ = trainer.train(training: pairs, heldOut: [], steps: 6, random: &random)
        let data = DPOTraceExport.json(trainer: trainer, pairs: pairs, tokenizer: tokenizer)
        #expect(data == DPOTraceExport.json(trainer: trainer, pairs: pairs, tokenizer: tokenizer))

        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["format"] as? String == "rlhf-dpo-trace" && root["version"] as? Int == 1)
        let settings = try #require(root["config"] as? [String: Any])
        let beta = try #require(settings["beta"] as? Double)
        #expect(beta == 0.1 && settings["loss_type"] as? String == "sigmoid")
        let entries = try #require(root["pairs"] as? [[String: Any]])
        #expect(entries.count == pairs.count)
        var losses: [Double] = []
        for (entry, pair) in zip(entries, pairs) {
            func number(_ key: String) -> Double { entry[key] as! Double }
            func numbers(_ key: String) -> [Double] { entry[key] as! [Double] }
            #expect(entry["chosen_ids"] as? [Int] == pair.chosen.response + [tokenizer.eosID])
            for side in ["chosen", "rejected"] {
                let tokens = numbers("\(side)_token_logps"), refTokens = numbers("ref_\(side)_token_logps")
                #expect(tokens.count == (entry["\(side)_ids"] as! [Int]).count)
                #expect(close(tokens.reduce(0, +), number("\(side)_logps"), 1e-4))
                #expect(close(refTokens.reduce(0, +), number("ref_\(side)_logps"), 1e-4))
                #expect(close(beta * (number("\(side)_logps") - number("ref_\(side)_logps")),
                              number("\(side)_rewards"), 1e-9))
            }
            // z = (chosen - rejected) - (ref chosen - ref rejected); loss = -log sigmoid(beta z)
            let z = (number("chosen_logps") - number("rejected_logps"))
                - (number("ref_chosen_logps") - number("ref_rejected_logps"))
            #expect(close(z, number("logits"), 1e-9))
            #expect(close(PortableMath.log(1 + PortableMath.exp(-beta * z)), number("loss"), 1e-6))
            losses.append(number("loss"))
        }
        let metrics = try #require(root["metrics"] as? [String: Double])
        #expect(close(metrics["loss"]!, losses.reduce(0, +) / Double(losses.count), 1e-6))
        #expect(metrics["rewards/margins"] != nil && metrics["logps/rejected"] != nil)
    }
}
