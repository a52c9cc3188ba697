import RLHFEngine
import RLHFStages
import Testing

/// Completion log-probs, the gradient of the DPO loss through a model, and the trainer.
@Suite("DPO trainer")
struct DPOTrainerTests {
    static let tokenizer = WorldVocabulary.tokenizer
    /// Both formats: TRL's and the seed's.
    static let pairLines = [
        #"{"prompt": "describe coral bay.", "chosen": "enjoy the sun at coral bay!", "rejected": "a quiet oasis."}"#,
        #"{"input_text": "write an ad for pine lake.", "candidate_0": "rest by the calm water.", "#
            + #""candidate_1": "swim and surf at pine lake!", "choice": 1}"#,
        #"{"prompt": "describe sandy cove.", "chosen": "great food and warm nights at sandy cove.", "#
            + #""rejected": "relax."}"#,
        #"{"prompt": "write an ad for gulf shores.", "chosen": "fun in the sun!", "#
            + #""rejected": "a tranquil oasis of natural beauty at gulf shores."}"#,
    ].joined(separator: "\n")

    static func pairs() throws -> [PreferencePair] {
        try DataFiles.preferencePairs(JSONLines.parse(pairLines, file: "pairs"),
                                      tokenizer: tokenizer, contextLength: 32)
    }

    static func model(seed: UInt64) -> GPT2 {
        var random = RandomGenerator(seed: seed)
        return GPT2(config: TinyWorld.model, random: &random)
    }

    @Test("a completion's log-prob is the sum of its tokens' and EOS's log-softmax, alone or packed in a batch")
    func completionLogProbs() throws {
        let model = Self.model(seed: 1)
        let pairs = try Self.pairs()
        let completions = pairs.map(\.chosen) + pairs.map(\.rejected)
        let eos = Self.tokenizer.eosID
        let batched = CompletionLogProbs.of(completions, model: model, eosID: eos).data
        for (index, completion) in completions.enumerated() {
            // By hand: log softmax at each position that predicts a response token or EOS.
            let row = completion.modelInput(eosID: eos)
            let logits = model.logits([row])
            let vocabulary = logits.shape[2]
            var total = 0.0
            for position in (completion.prompt.count - 1)..<(row.count - 1) {
                let scores = (0..<vocabulary).map { Double(logits.data[position * vocabulary + $0]) }
                let largest = scores.max()!
                let logSum = largest + PortableMath.log(scores.reduce(0) { $0 + PortableMath.exp($1 - largest) })
                total += scores[row[position + 1]] - logSum
            }
            #expect(close(Double(batched[index]), total, 1e-4), "completion \(index): \(batched[index]) vs \(total)")
            let alone = CompletionLogProbs.of([completion], model: model, eosID: eos).item
            #expect(close(Double(alone), Double(batched[index]), 1e-5))
            let mean = CompletionLogProbs.of([completion], model: model, eosID: eos, averaged: true).item
            #expect(close(Double(mean), Double(alone) / Double(completion.response.count + 1), 1e-5))
        }
    }

    @Test("the DPO loss's gradient through the model agrees with central finite differences",
          arguments: DPOConfig.LossType.allCases)
    func gradientThroughModel(_ lossType: DPOConfig.LossType) throws {
        let policy = Self.model(seed: 2)
        var config = DPOConfig()
        config.lossType = lossType
        config.beta = 0.5
        let trainer = DPOTrainer(policy: policy, reference: Self.model(seed: 3), tokenizer: Self.tokenizer,
                                 config: config)
        let pairs = try Self.pairs()
        DPOLoss.loss(trainer.logProbs(pairs), config: config).backward()
        let named = Dictionary(uniqueKeysWithValues: policy.namedParameters().map { ($0.0, $0.1) })
        // Entries of the embedding rows of words in the pairs, an attention weight and the final norm.
        let checked: [(String, Int)] = [
            ("transformer.wte.weight", 13 * 16 + 3), ("transformer.wte.weight", 21 * 16 + 7),
            ("transformer.wpe.weight", 5 * 16 + 1), ("transformer.h.0.attn.c_attn.weight", 40),
            ("transformer.h.0.mlp.c_fc.weight", 77), ("transformer.ln_f.weight", 9),
        ]
        for (name, index) in checked {
            let parameter = try #require(named[name], "no parameter \(name)")
            let analytic = Double(parameter.grad![index])
            let original = parameter.data[index]
            func loss(_ shift: Float) -> Double {
                parameter.data[index] = original + shift
                defer { parameter.data[index] = original }
                return GradientMode.withoutRecording {
                    Double(DPOLoss.loss(trainer.logProbs(pairs), config: config).item)
                }
            }
            let step: Float = 1e-2
            let numeric = (loss(step) - loss(-step)) / Double(2 * step)
            #expect(abs(analytic - numeric) <= 2e-4 + 2e-2 * abs(numeric),
                    "\(name)[\(index)]: \(analytic) vs \(numeric)")
            #expect(analytic != 0, "\(name)[\(index)] should matter")
        }
    }

    @Test("before a step the policy is the reference (rewards 0, loss log 2); training lowers the loss, not pi_ref")
    func training() throws {
        let reference = Self.model(seed: 4)
        let frozen = reference.parameters.map(\.data)
        var config = DPOConfig()
        config.learningRate = 1e-2
        config.perDeviceTrainBatchSize = 2
        config.evalSteps = 10
        let trainer = DPOTrainer(policy: reference.copy(), reference: reference, tokenizer: Self.tokenizer,
                                 config: config)
        let pairs = try Self.pairs()
        let start = trainer.evaluate(pairs)
        func value(_ metrics: [Metric], _ name: String) -> Double { metrics.first { $0.name == name }!.value }
        #expect(close(value(start, "eval_loss"), 0.6931471805599453, 1e-6))
        #expect(value(start, "eval_rewards/margins") == 0 && value(start, "eval_rewards/accuracies") == 0)
        var random = RandomGenerator(seed: 5)
        let history = trainer.train(training: pairs, heldOut: pairs, steps: 30, random: &random)
        #expect(history.events.count == 30)
        #expect(history.events[0].metrics.map(\.name) == ["loss", "grad_norm", "rewards/chosen", "rewards/rejected",
                                                          "rewards/accuracies", "rewards/margins", "logps/chosen",
                                                          "logps/rejected"])
        #expect(history.series("eval_loss").count == 3)  // steps 10, 20, 30
        let end = trainer.evaluate(pairs)
        #expect(value(end, "eval_loss") < 0.5, "loss \(value(end, "eval_loss"))")
        #expect(value(end, "eval_rewards/accuracies") == 1)
        #expect(reference.parameters.map(\.data) == frozen, "the reference must never change")
        // The readout agrees with the metrics, pair by pair.
        let readouts = trainer.readouts(pairs)
        let margins = readouts.map(\.margin).reduce(0, +) / Double(readouts.count)
        #expect(close(margins, value(end, "eval_rewards/margins"), 1e-9))
        #expect(close(readouts.map(\.loss).reduce(0, +) / 4, value(end, "eval_loss"), 1e-6))
    }

    @Test("the same seed gives the same run; the callback stops it after a whole step")
    func determinismAndStopping() throws {
        func run(stopAfter: Int?) throws -> (TrainingHistory, [Float]) {
            let reference = Self.model(seed: 6)
            let trainer = DPOTrainer(policy: reference.copy(), reference: reference, tokenizer: Self.tokenizer)
            var random = RandomGenerator(seed: 7)
            let history = trainer.train(training: try Self.pairs(), heldOut: [], steps: 5, random: &random) { event in
                event.step == stopAfter ? .stop : .proceed
            }
            return (history, trainer.policy.parameters[0].data)
        }
        let (first, firstWeights) = try run(stopAfter: nil)
        let (second, secondWeights) = try run(stopAfter: nil)
        #expect(first.series("loss") == second.series("loss") && firstWeights == secondWeights)
        let (stopped, _) = try run(stopAfter: 2)
        #expect(stopped.stoppedEarly && stopped.events.count == 2)
        #expect(stopped.series("loss") == Array(first.series("loss").prefix(2)))
    }
}
