import RLHFEngine
import RLHFStages
import Testing

/// `PPOTrainer.step` runs the language-model and value heads on the predicting positions alone; these tests
/// take the same steps the plain way (both heads over every padded position, then picked, as
/// `PaddedEpisodes` does below) on a twin trainer and compare every bit:
/// the record's log-probs, values and losses, and every parameter after each optimiser step.
@Suite("PPO step with the heads on the predicting positions: the padded batch's bits")
struct PPOStepBitsTests {
    static func trainer(_ model: GPT2Config, config: PPOConfig, seed: UInt64) -> PPOTrainer {
        var random = RandomGenerator(seed: seed)
        let tokenizer = WorldVocabulary.tokenizer
        let reference = GPT2(config: model, random: &random)
        return PPOTrainer(policy: ActorCritic(initialisedFrom: reference, random: &random), reference: reference,
                          rewardModel: RewardModel(initialisedFrom: reference, tokenizer: tokenizer, random: &random),
                          annotator: Annotator(tokenizer: tokenizer), tokenizer: tokenizer, config: config)
    }

    /// One plain step on `trainer`: the loss `PPOTrainer.step` takes, over the padded batch's every position.
    static func plainStep(_ trainer: PPOTrainer, batch: RolloutBatch, indices: [Int])
        -> (logprobs: [Float], values: [Float], loss: Float) {
        let rollouts = indices.map { batch.rollouts[$0] }
        let padded = PaddedEpisodes(rollouts.map(\.episode), padID: trainer.tokenizer.padID)
        let (logits, values) = trainer.policy.forward(padded.rows)
        let read = padded.logprobs(logits: logits, temperature: batch.config.temperature)
        let newValues = padded.picked(values)
        let config = trainer.config
        let policyLoss = ClippedLosses.policy(newLogprobs: read.logprobs, oldLogprobs: rollouts.flatMap(\.logprobs),
                                              advantages: rollouts.flatMap(\.advantages), cliprange: config.cliprange)
        let valueLoss = ClippedLosses.value(newValues: newValues, oldValues: rollouts.flatMap(\.values),
                                            returns: rollouts.flatMap(\.returns), cliprange: config.cliprangeValue)
        let loss = policyLoss.loss + valueLoss.loss * Float(config.vfCoef)
        loss.backward()
        _ = trainer.optimizer.step()
        return (read.logprobs.data, newValues.data, loss.item)
    }

    static func check(_ model: GPT2Config, config: PPOConfig, seed: UInt64, prompts: Int) throws {
        let fast = trainer(model, config: config, seed: seed), plain = trainer(model, config: config, seed: seed)
        let tokenizer = WorldVocabulary.tokenizer
        let pool = WorldText.trainingPrompts.prefix(prompts).map { try! tokenizer.encode($0, source: "test") }
        var random = RandomGenerator(seed: seed &+ 1)
        let batchPrompts = (0..<config.batchSize).map { pool[$0 % pool.count] }
        let batch = try fast.collectBatch(prompts: batchPrompts, random: &random)
        var order = RandomGenerator(seed: seed &+ 2)
        for (epoch, minibatch, indices) in fast.updatePlan(batchSize: batch.rollouts.count, random: &order) {
            let record = fast.step(batch: batch, epoch: epoch, minibatch: minibatch, indices: indices)
            let expected = plainStep(plain, batch: batch, indices: indices)
            func bits(_ values: [Float]) -> [UInt64] { values.map { Double($0).bitPattern } }
            #expect(record.newLogprobs.flatMap { $0 }.map(\.bitPattern) == bits(expected.logprobs))
            #expect(record.newValues.flatMap { $0 }.map(\.bitPattern) == bits(expected.values))
            #expect(record.loss.bitPattern == Double(expected.loss).bitPattern)
            let same = zip(fast.policy.parameters, plain.policy.parameters).allSatisfy {
                $0.data.map(\.bitPattern) == $1.data.map(\.bitPattern)
            }
            #expect(same, "parameters after epoch \(epoch) minibatch \(minibatch)")
        }
    }

    @Test("the tiny world: 2 epochs x 2 minibatches at learning rate 1e-2")
    func tinyWorld() throws {
        try Self.check(TinyWorld.model, config: TinyWorld.config, seed: 41, prompts: 4)
    }

    @Test("the built-in world's sizes (d48 L2, context 32): batch 16, 4 epochs x 2 minibatches, learning rate 1e-3")
    func worldSizes() throws {
        var config = PPOConfig()
        config.learningRate = 1e-3
        let model = GPT2Config(vocabularySize: WorldVocabulary.tokens.count, contextLength: 32, embeddingWidth: 48,
                               layerCount: 2, headCount: 4)
        try Self.check(model, config: config, seed: 43, prompts: 12)
    }
}

/// The plain read-out the packed one replaced: episodes right-padded to one length T, a head's output at every
/// position, then the (B * T) positions that predict each response token picked, episode by episode.
struct PaddedEpisodes {
    let rows: [[Int]]
    let length: Int
    let predictingPositions: [Int]
    let responseTokens: [Int]

    init(_ episodes: [PromptResponse], padID: Int) {
        rows = Batching.padRight(episodes.map { $0.prompt + $0.response }, padID: padID)
        let length = rows.first?.count ?? 0
        self.length = length
        predictingPositions = episodes.enumerated().flatMap { row, episode in
            (0..<episode.response.count).map { row * length + episode.prompt.count - 1 + $0 }
        }
        responseTokens = episodes.flatMap(\.response)
    }

    /// `EpisodeReadout.logprobs` from (B, T, V) logits of the padded rows.
    func logprobs(logits: Tensor, temperature: Double) -> (logprobs: Tensor, logits: Tensor, logSoftmax: Tensor) {
        let picked = logits.reshaped([rows.count * length, logits.shape[2]]).selectRows(predictingPositions)
        return EpisodeReadout.logprobs(pickedLogits: picked, responseTokens: responseTokens, temperature: temperature)
    }

    /// (B, T) values at the predicting positions: (N).
    func picked(_ values: Tensor) -> Tensor {
        values.reshaped([rows.count * length]).selectRows(predictingPositions)
    }
}
