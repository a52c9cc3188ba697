import RLHFEngine
import RLHFStages
import Testing

/// The SFT loss and the reward model's scores on packed rows (`PackedRows`) against the right-padded batch
/// they replaced: the same value and every parameter's gradient, bit for bit.
@Suite("Packed SFT and reward batches match the padded ones")
struct PackedBatchTests {
    static let config = GPT2Config(vocabularySize: WorldVocabulary.tokens.count, contextLength: 24,
                                   embeddingWidth: 16, layerCount: 2, headCount: 2)
    /// The world's sizes (d48 L2): batches large enough that the products are split and paired, the row ops cut
    /// into chunks and attention's pairs shared between the threads.
    static let worldConfig = GPT2Config(vocabularySize: WorldVocabulary.tokens.count, contextLength: 32,
                                        embeddingWidth: 48, layerCount: 2, headCount: 4)
    static let tokenizer = WorldVocabulary.tokenizer

    /// A model with its biases and norms moved off 0 and 1, so that every gradient is exercised.
    static func model(seed: UInt64, config: GPT2Config = config) -> GPT2 {
        var random = RandomGenerator(seed: seed)
        let model = GPT2(config: config, random: &random)
        for parameter in model.parameters {
            parameter.data = parameter.data.map { $0 + Float(random.nextNormal()) * 0.05 }
        }
        return model
    }

    /// Pairs with prompts of 1-5 tokens and responses of 0-9 (neither pad nor EOS); at the world's sizes 1-8 and 0-22.
    static func batch(count: Int, seed: UInt64, config: GPT2Config = config) -> [PromptResponse] {
        let (prompts, responses) = config.contextLength >= 32 ? (8, 23) : (5, 10)
        var random = RandomGenerator(seed: seed)
        func tokens(_ count: Int) -> [Int] {
            (0..<count).map { _ in 2 + random.nextInt(below: config.vocabularySize - 2) }
        }
        return (0..<count).map { _ in
            PromptResponse(prompt: tokens(1 + random.nextInt(below: prompts)),
                           response: tokens(random.nextInt(below: responses)))
        }
    }

    /// The SFT loss as it was: logits over the right-padded rows, the masked mean of the cross-entropy.
    static func paddedLoss(_ model: GPT2, _ batch: [PromptResponse]) -> Tensor {
        let rows = Batching.padRight(batch.map { $0.modelInput(eosID: tokenizer.eosID) }, padID: tokenizer.padID)
        let length = rows[0].count
        var (targets, mask) = ([Int](), [Float]())
        for (row, pair) in zip(rows, batch) {
            for position in 0..<length {
                targets.append(position + 1 < length ? row[position + 1] : tokenizer.padID)
                let next = position + 1
                mask.append(next >= pair.prompt.count && next <= pair.prompt.count + pair.response.count ? 1 : 0)
            }
        }
        return model.logits(rows).crossEntropy(targets: targets, mask: mask)
    }

    static func gradients(_ parameters: [Tensor]) -> [[UInt32]] {
        let result = parameters.map { ($0.grad ?? []).map(\.bitPattern) }
        for parameter in parameters { parameter.zeroGrad() }
        return result
    }

    @Test("SFT loss and gradients", arguments: [(16, UInt64(1)), (5, 2), (1, 3), (9, 4)])
    func supervised(_ sizes: (Int, UInt64)) {
        Self.checkSupervised(count: sizes.0, seed: sizes.1, config: Self.config)
    }

    @Test("SFT loss and gradients at the world's sizes (split and paired products, chunked rows)")
    func supervisedWorldSizes() {
        Self.checkSupervised(count: 16, seed: 5, config: Self.worldConfig)
    }

    static func checkSupervised(count: Int, seed: UInt64, config: GPT2Config) {
        let model = Self.model(seed: seed, config: config)
        let batch = Self.batch(count: count, seed: seed + 100, config: config)
        let padded = Self.paddedLoss(model, batch)
        padded.backward()
        let paddedGradients = Self.gradients(model.parameters)
        let packed = LanguageModelLoss.loss(model: model, batch: batch, eosID: Self.tokenizer.eosID)
        packed.backward()
        let packedGradients = Self.gradients(model.parameters)
        #expect(packed.item.bitPattern == padded.item.bitPattern)
        let evaluated = GradientMode.withoutRecording {
            LanguageModelLoss.loss(model: model, batch: batch, eosID: Self.tokenizer.eosID)
        }
        #expect(evaluated.item.bitPattern == padded.item.bitPattern)
        for (index, (name, _)) in model.namedParameters().enumerated() {
            #expect(packedGradients[index] == paddedGradients[index], "\(name)")
        }
    }

    /// The scores as they were: the head at every position of the right-padded rows, read at each last token.
    static func paddedScores(_ reward: RewardModel, _ rows: [[Int]]) -> Tensor {
        let padded = Batching.padRight(rows, padID: reward.padID)
        let length = padded[0].count
        let perPosition = reward.head(reward.backbone.hiddenStates(padded))
        let finalPositions = rows.enumerated().map { row, tokens in row * length + tokens.count - 1 }
        return perPosition.reshaped([rows.count * length]).selectRows(finalPositions)
    }

    @Test("reward scores and the Bradley-Terry loss's gradients", arguments: [(8, UInt64(11)), (1, 12), (3, 13)])
    func reward(_ sizes: (Int, UInt64)) {
        Self.checkReward(pairs: sizes.0, seed: sizes.1, config: Self.config)
    }

    @Test("reward scores and gradients at the world's sizes (split and paired products, chunked rows)")
    func rewardWorldSizes() {
        Self.checkReward(pairs: 8, seed: 14, config: Self.worldConfig)
    }

    static func checkReward(pairs: Int, seed: UInt64, config: GPT2Config) {
        var random = RandomGenerator(seed: seed)
        let reward = RewardModel(initialisedFrom: Self.model(seed: seed, config: config), tokenizer: Self.tokenizer,
                                 random: &random)
        let batch = Self.batch(count: 2 * pairs, seed: seed + 100, config: config)
        let rows = batch.map { $0.modelInput(eosID: Self.tokenizer.eosID) }
        func loss(_ scores: Tensor) -> Tensor {
            BradleyTerryLoss.loss(chosen: scores.selectRows(Array(0..<pairs)),
                                  rejected: scores.selectRows(Array(pairs..<(2 * pairs))), centerCoefficient: 0.01)
        }
        let paddedScores = Self.paddedScores(reward, rows)
        loss(paddedScores).backward()
        let paddedGradients = Self.gradients(reward.parameters)
        let packedScores = reward.scores(sequences: rows)
        loss(packedScores).backward()
        let packedGradients = Self.gradients(reward.parameters)
        #expect(packedScores.data.map(\.bitPattern) == paddedScores.data.map(\.bitPattern))
        let scored = GradientMode.withoutRecording { reward.scores(sequences: rows) }
        #expect(scored.data.map(\.bitPattern) == paddedScores.data.map(\.bitPattern))
        let names = reward.backbone.namedParameters().map(\.0) + reward.head.namedParameters().map(\.0)
        for (index, name) in names.enumerated() {
            #expect(packedGradients[index] == paddedGradients[index], "\(name)")
        }
    }
}
