import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// `CompletionLogProbs` runs the model on the completions packed and the head on the predicting positions
/// alone; these tests compute the log-probs the plain way (`PaddedCompletions` below: the right-padded rows,
/// the head at every position, the masked sum per row) and compare every bit: the sums, the means, the
/// per-token log-probs, with and without a graph, then DPO steps on twin trainers (the loss, every gradient
/// and every parameter after each step), for each loss type.
@Suite("DPO's completion log-probs packed: the padded batch's bits")
struct DPOPackedBatchTests {
    static let tokenizer = WorldVocabulary.tokenizer

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// A completion whose prompt + completion + EOS is exactly the context (8 + 23 + 1 at the world's sizes).
    static func fillingTheContext(_ config: GPT2Config, seed: UInt64) -> PromptResponse {
        var random = RandomGenerator(seed: seed &+ 7)
        let tokens = (0..<(config.contextLength - 1)).map { _ in 2 + random.nextInt(below: config.vocabularySize - 2) }
        return PromptResponse(prompt: Array(tokens.prefix(8)), response: Array(tokens.dropFirst(8)))
    }

    @Test("sums, means and per-token log-probs of 0 to 23 tokens (one filling the context), graph or not",
          arguments: [(16, UInt64(21), false), (5, 22, false), (1, 23, false), (24, 24, true)])
    func logProbs(_ sizes: (Int, UInt64, Bool)) {
        let config = sizes.2 ? PackedBatchTests.worldConfig : PackedBatchTests.config
        let model = PackedBatchTests.model(seed: sizes.1, config: config)
        let batch = PackedBatchTests.batch(count: sizes.0, seed: sizes.1 + 100, config: config)
            + (sizes.2 ? [Self.fillingTheContext(config, seed: sizes.1)] : [])
        let (eos, pad) = (Self.tokenizer.eosID, Self.tokenizer.padID)
        for averaged in [false, true] {
            let plain = PaddedCompletions(batch, eosID: eos, padID: pad)
            let expected = Self.bits(plain.logProbs(model, averaged: averaged).data)
            #expect(Self.bits(CompletionLogProbs.of(batch, model: model, eosID: eos, averaged: averaged).data)
                    == expected, "averaged \(averaged), with a graph")
            let evaluated = GradientMode.withoutRecording {
                CompletionLogProbs.of(batch, model: model, eosID: eos, averaged: averaged).data
            }
            #expect(Self.bits(evaluated) == expected, "averaged \(averaged), without a graph")
        }
        let plainTokens = PaddedCompletions(batch, eosID: eos, padID: pad).perToken(model)
        let tokens = CompletionLogProbs.perToken(batch, model: model, eosID: eos)
        #expect(tokens.map { $0.map(\.bitPattern) } == plainTokens.map { $0.map(\.bitPattern) })
    }

    /// Pairs for the tiny model (DPOTrainerTests') or, at the world's sizes, the world's first 16 training pairs.
    static func pairs(worldSizes: Bool) throws -> [PreferencePair] {
        guard worldSizes else { return try DPOTrainerTests.pairs() }
        let world = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("lessons/world/preferences-train.jsonl")
        let records = try JSONLines.read(path: world.path)
        return try DataFiles.preferencePairs(Array(records.prefix(16)), tokenizer: tokenizer, contextLength: 32)
    }

    static func gradients(_ parameters: [Tensor]) -> [[UInt32]] { parameters.map { bits($0.grad ?? []) } }

    @Test("three DPO steps on twin trainers: loss, gradients and parameters", arguments: DPOConfig.LossType.allCases)
    func steps(_ lossType: DPOConfig.LossType) throws {
        try Self.checkSteps(lossType, worldSizes: false)
    }

    @Test("three DPO steps at the world's sizes (d48 L2, 16 pairs), sigmoid loss")
    func stepsWorldSizes() throws {
        try Self.checkSteps(.sigmoid, worldSizes: true)
    }

    static func checkSteps(_ lossType: DPOConfig.LossType, worldSizes: Bool) throws {
        let modelConfig = worldSizes ? PackedBatchTests.worldConfig : TinyWorld.model
        var config = DPOConfig()
        config.lossType = lossType
        config.beta = 0.5
        config.learningRate = 1e-2
        let reference = PackedBatchTests.model(seed: 31, config: modelConfig)
        let fast = DPOTrainer(policy: PackedBatchTests.model(seed: 32, config: modelConfig), reference: reference,
                              tokenizer: tokenizer, config: config)
        let plain = DPOTrainer(policy: PackedBatchTests.model(seed: 32, config: modelConfig), reference: reference,
                               tokenizer: tokenizer, config: config)
        var pairs = try Self.pairs(worldSizes: worldSizes)
        if worldSizes {  // a chosen completion that fills the context with its EOS: 8 + 23 + 1 tokens
            let words = WorldVocabulary.tokens.dropFirst(2)  // neither the pad nor the EOS
            let (prompt, chosen) = (words.prefix(8), words.dropFirst(8).prefix(23))
            let line = "{\"prompt\": \"\(prompt.joined(separator: " "))\", \"chosen\": "
                + "\"\(chosen.joined(separator: " "))\", \"rejected\": \"\(words.prefix(3).joined(separator: " "))\"}"
            pairs += try DataFiles.preferencePairs(try JSONLines.parse(line, file: "test"), tokenizer: tokenizer,
                                                   contextLength: modelConfig.contextLength)
            #expect(pairs.last!.chosen.prompt.count + pairs.last!.chosen.response.count + 1 == 32)
        }
        let completions = pairs.map(\.chosen) + pairs.map(\.rejected)
        let padded = PaddedCompletions(completions, eosID: tokenizer.eosID, padID: tokenizer.padID)
        let averaged = lossType.averagesLogProbs
        for step in 0..<3 {
            let loss = fast.minibatchLoss(pairs).loss
            loss.backward()
            let fastGradients = Self.gradients(fast.policy.parameters)
            _ = fast.optimizer.step()

            // The plain step: `DPOTrainer.logProbs` over the padded batch.
            let policyLogps = padded.logProbs(plain.policy, averaged: averaged)
            let referenceLogps = GradientMode.withoutRecording { padded.logProbs(reference, averaged: averaged) }
            let chosen = Array(0..<pairs.count), rejected = Array(pairs.count..<completions.count)
            let plainLoss = DPOLoss.loss(DPOLoss.LogProbs(
                chosen: policyLogps.selectRows(chosen), rejected: policyLogps.selectRows(rejected),
                referenceChosen: referenceLogps.selectRows(chosen),
                referenceRejected: referenceLogps.selectRows(rejected)), config: config)
            plainLoss.backward()
            let plainGradients = Self.gradients(plain.policy.parameters)
            _ = plain.optimizer.step()

            #expect(loss.item.bitPattern == plainLoss.item.bitPattern, "step \(step): loss")
            for (index, (name, _)) in fast.policy.namedParameters().enumerated() {
                #expect(fastGradients[index] == plainGradients[index], "step \(step): gradient of \(name)")
            }
            let same = zip(fast.policy.parameters, plain.policy.parameters).allSatisfy {
                bits($0.data) == bits($1.data)
            }
            #expect(same, "step \(step): parameters")
        }
    }
}

/// The completion log-probs the packed ones replaced: rows `prompt + response + EOS` right-padded to one length
/// T, the log-softmax at every position, the log-prob of each position's next token kept where that token is the
/// completion's or its closing EOS (mask 1) and zeroed elsewhere (mask 0, the prompt and the padding), summed per row.
struct PaddedCompletions {
    let batch: [PromptResponse]
    let rows: [[Int]]
    let length: Int
    /// rows[b][i + 1] for position i of row b, flattened (B * T); padding after the last position.
    let targets: [Int]
    let mask: [Float]

    init(_ batch: [PromptResponse], eosID: Int, padID: Int) {
        self.batch = batch
        rows = Batching.padRight(batch.map { $0.modelInput(eosID: eosID) }, padID: padID)
        length = rows[0].count
        var (targets, mask) = ([Int](), [Float]())
        for (row, pair) in zip(rows, batch) {
            let (firstPredicted, lastPredicted) = (pair.prompt.count, pair.prompt.count + pair.response.count)
            for position in 0..<length {
                targets.append(position + 1 < length ? row[position + 1] : padID)
                mask.append(position + 1 >= firstPredicted && position + 1 <= lastPredicted ? 1 : 0)
            }
        }
        (self.targets, self.mask) = (targets, mask)
    }

    /// The masked log-probs, (B * T).
    func tokenLogProbs(_ model: GPT2) -> Tensor {
        let logits = model.logits(rows)  // (B, T, V)
        let tokenLogps = logits.reshaped([rows.count * length, logits.shape[2]]).logSoftmax().gatherLastAxis(targets)
        return tokenLogps * Tensor(shape: [rows.count * length], data: mask)
    }

    /// Per completion, the sum (or mean) of its masked log-probs, (B).
    func logProbs(_ model: GPT2, averaged: Bool) -> Tensor {
        let sums = tokenLogProbs(model).reshaped([rows.count, length]).sumLastAxis()
        guard averaged else { return sums }
        return sums / Tensor(shape: [rows.count], data: batch.map { Float($0.response.count + 1) })
    }

    /// Per completion, the log-probs at the positions p - 1 ... p + n - 1 (its tokens, then EOS), no graph.
    func perToken(_ model: GPT2) -> [[Double]] {
        let values = GradientMode.withoutRecording { tokenLogProbs(model).data }
        return batch.enumerated().map { row, pair in
            (pair.prompt.count - 1 ..< pair.prompt.count + pair.response.count)
                .map { Double(values[row * length + $0]) }
        }
    }
}
