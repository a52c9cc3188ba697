import Testing
import RLHFEngine

@Suite("Key/value-cache inference: the batched forward's logits, token by token")
struct IncrementalDecoderTests {
    static func model(seed: UInt64 = 31) -> GPT2 {
        var random = RandomGenerator(seed: seed)
        return GPT2(config: GPT2Config(vocabularySize: 62), random: &random)
    }

    /// The logits at `position` of a (1, T, V) forward pass through the recorded graph (unrecorded, the
    /// forward runs the incremental decoder itself, which would compare the decoder with itself).
    static func batchedLogits(_ model: GPT2, _ tokens: [Int], position: Int) -> [Float] {
        let logits = model.logits([tokens])
        let vocabulary = model.config.vocabularySize
        return Array(logits.data[(position * vocabulary)..<((position + 1) * vocabulary)])
    }

    /// Feeds `tokens` to a new decoder in `pieces` (their lengths), expecting after each piece the logits of
    /// the batched forward at the last position fed, bit for bit (`context` opens each failure's note).
    /// - Returns: the decoder, holding every token fed.
    @discardableResult
    static func feedInPieces(_ model: GPT2, _ tokens: [Int], pieces: [Int],
                             _ context: String = "") -> IncrementalDecoder {
        let decoder = IncrementalDecoder(model: model)
        var fed = 0
        for piece in pieces {
            let logits = decoder.append(Array(tokens[fed..<(fed + piece)]))
            fed += piece
            let batched = batchedLogits(model, Array(tokens.prefix(fed)), position: fed - 1)
            #expect(bitPatterns(logits) == bitPatterns(batched), "\(context)after \(fed) tokens")
        }
        return decoder
    }

    @Test("nextTokenLogits equals the last row of the batched forward, bit for bit")
    func nextTokenLogits() {
        let model = IncrementalDecoderTests.model()
        var random = RandomGenerator(seed: 7)
        for length in [1, 2, 5, 12, 31, 32] {
            let tokens = randomRows(&random, lengths: [length], vocabulary: 62)[0]
            let cached = model.nextTokenLogits(tokens)
            let batched = IncrementalDecoderTests.batchedLogits(model, tokens, position: length - 1)
            #expect(bitPatterns(cached) == bitPatterns(batched), "length \(length)")
            let largest = zip(cached, batched).map { Swift.abs($0 - $1) }.max() ?? 0
            #expect(largest < 1e-4)
        }
    }

    @Test("feeding in pieces (a prompt, then one token at a time, then a block) gives every position's logits")
    func incremental() {
        let model = IncrementalDecoderTests.model()
        var random = RandomGenerator(seed: 8)
        let tokens = randomRows(&random, lengths: [20], vocabulary: 62)[0]
        let decoder = IncrementalDecoderTests.feedInPieces(model, tokens, pieces: [5, 1, 1, 4, 1, 8])
        #expect(decoder.tokens == tokens)
        decoder.reset()
        #expect(decoder.tokens.isEmpty)
        #expect(bitPatterns(decoder.append([tokens[0]])) == bitPatterns(model.nextTokenLogits([tokens[0]])))
    }

    /// Generation as it was written before the cache: a full forward pass per token.
    static func referenceGenerate(_ model: GPT2, prompt: [Int], maxNewTokens: Int, eosID: Int, sampler: Sampler,
                                  random: inout RandomGenerator) -> Continuation {
        var tokens = prompt
        var generated: [Int] = []
        while generated.count < maxNewTokens && tokens.count < model.config.contextLength {
            let logits = batchedLogits(model, tokens, position: tokens.count - 1)
            let next = sampler.sample(logits: logits, random: &random)
            tokens.append(next)
            generated.append(next)
            if next == eosID { return Continuation(tokens: generated, endedWithEOS: true) }
        }
        return Continuation(tokens: generated, endedWithEOS: false)
    }

    @Test("generate samples exactly what full recomputation samples, and the same again from the same seed")
    func generate() {
        let model = IncrementalDecoderTests.model()
        let samplers = [Sampler(), Sampler(temperature: 0.7, topK: 5), Sampler.greedy, Sampler(temperature: 1.5)]
        for (index, sampler) in samplers.enumerated() {
            for prompt in [[5], [7, 8, 9, 10, 11], Array(repeating: 3, count: 30)] {
                var first = RandomGenerator(seed: UInt64(40 + index))
                var second = first
                var third = first
                let cached = model.generate(prompt: prompt, maxNewTokens: 16, eosID: 1, sampler: sampler,
                                            random: &first)
                let reference = IncrementalDecoderTests.referenceGenerate(model, prompt: prompt, maxNewTokens: 16,
                                                                          eosID: 1, sampler: sampler, random: &second)
                let again = model.generate(prompt: prompt, maxNewTokens: 16, eosID: 1, sampler: sampler,
                                           random: &third)
                #expect(cached == reference, "sampler \(index), prompt \(prompt.count)")
                #expect(cached == again)
                #expect(first == second && first == third, "the generators advanced alike")
            }
        }
    }

    @Test("generate stops at the context and at maxNewTokens, and accepts a full prompt")
    func limits() {
        let model = IncrementalDecoderTests.model()
        var random = RandomGenerator(seed: 9)
        let long = Array(repeating: 4, count: 32)
        let tooLong = model.generate(prompt: long, maxNewTokens: 5, eosID: -1, sampler: Sampler(), random: &random)
        #expect(tooLong.tokens.isEmpty)
        let short = model.generate(prompt: [4, 5], maxNewTokens: 0, eosID: -1, sampler: Sampler(), random: &random)
        #expect(short.tokens.isEmpty && !short.endedWithEOS)
        let capped = model.generate(prompt: Array(repeating: 4, count: 28), maxNewTokens: 10, eosID: -1,
                                    sampler: Sampler(), random: &random)
        #expect(capped.tokens.count == 4)
    }
}

@Suite("Generator: one decoder and each prompt's cache fed once, the draws of generate")
struct GeneratorTests {
    @Test("a run of continuations (repeated prompts, every sampler, EOS, limits) equals generate's, draw for draw")
    func matchesGenerate() {
        let model = IncrementalDecoderTests.model()
        let prompts = [[5], [7, 8, 9, 10, 11], [5], Array(repeating: 3, count: 30), [7, 8, 9, 10, 11], [12, 13],
                       Array(repeating: 4, count: 32), [5], [12, 13]]
        let samplers = [Sampler(), Sampler(temperature: 0.7, topK: 5), Sampler.greedy, Sampler(temperature: 1.5)]
        for (index, sampler) in samplers.enumerated() {
            var plain = RandomGenerator(seed: UInt64(60 + index))
            var fast = plain
            let generator = Generator(model: model)
            for (turn, prompt) in (prompts + prompts).enumerated() {
                // EOS 1 often ends a continuation early; maxNewTokens varies, 0 included.
                let length = [16, 3, 0, 9][turn % 4]
                let expected = model.generate(prompt: prompt, maxNewTokens: length, eosID: 1, sampler: sampler,
                                              random: &plain)
                let cached = generator.generate(prompt: prompt, maxNewTokens: length, eosID: 1, sampler: sampler,
                                                random: &fast)
                #expect(cached == expected, "sampler \(index), turn \(turn)")
                #expect(plain == fast, "the generators advanced alike, sampler \(index), turn \(turn)")
            }
            #expect(generator.cachedPromptCount == 4, "each distinct prompt that got a token fed once")
        }
    }

    @Test("a decoder restored from a snapshot continues with the bits of one fed the same tokens")
    func snapshotRestore() {
        let model = IncrementalDecoderTests.model()
        var random = RandomGenerator(seed: 12)
        let tokens = randomRows(&random, lengths: [20], vocabulary: 62)[0]
        let source = IncrementalDecoder(model: model)
        _ = source.append(Array(tokens.prefix(7)))
        let snapshot = source.snapshot()
        let restored = IncrementalDecoder(model: model)
        _ = restored.append(Array(tokens.suffix(12)))  // something to forget
        restored.restore(snapshot)
        #expect(restored.tokens == Array(tokens.prefix(7)))
        for position in 7..<20 {
            let logits = restored.append([tokens[position]])
            let batched = IncrementalDecoderTests.batchedLogits(model, Array(tokens.prefix(position + 1)),
                                                               position: position)
            #expect(bitPatterns(logits) == bitPatterns(batched), "after \(position + 1) tokens")
        }
    }

    @Test("padded and unpadded weight layouts (widths 40, 48, 64; vocabularies 62, 64) give the batched bits",
          arguments: [(40, 62), (48, 64), (64, 62), (64, 64)])
    func paddedLayouts(width: Int, vocabulary: Int) {
        var random = RandomGenerator(seed: 77)
        let model = GPT2(config: GPT2Config(vocabularySize: vocabulary, embeddingWidth: width), random: &random)
        let tokens = randomRows(&random, lengths: [24], vocabulary: vocabulary)[0]
        IncrementalDecoderTests.feedInPieces(model, tokens, pieces: [6, 1, 1, 9, 1, 6], "width \(width), ")
        // The hidden states of the no-graph pass (the decoder) against the graph's.
        let rows = [Array(tokens.prefix(24)), Array(tokens.reversed())]
        let recorded = model.hiddenStates(rows)  // gradients recorded: the graph's ops
        let inferred = GradientMode.withoutRecording { model.hiddenStates(rows) }
        #expect(bitPatterns(recorded.data) == bitPatterns(inferred.data), "width \(width)")
    }
}

@Suite("Adam on raw buffers: the same steps as the plain loop")
struct AdamFastPathTests {
    @Test("parameters and moments match a plain re-implementation bit for bit")
    func matchesPlainLoop() {
        var random = SplitMix64(seed: 907)
        let shapes = [[3, 5], [7], [1], [4, 4]]
        let parameters = shapes.map { random.tensor($0) }
        var plainValues = parameters.map(\.data)
        var first = parameters.map { [Float](repeating: 0, count: $0.count) }
        var second = first
        let optimizer = Adam(parameters: parameters, learningRate: 0.01, maxGradNorm: 0.5)
        let (beta1, beta2, epsilon, learningRate): (Float, Float, Float, Float) = (0.9, 0.999, 1e-8, 0.01)
        for step in 1...4 {
            // Parameter 2 gets no gradient on odd steps.
            let gradients = parameters.enumerated().map { index, p -> [Float]? in
                index == 2 && step % 2 == 1 ? nil : random.floats(p.count, -3, 3)
            }
            for (p, g) in zip(parameters, gradients) { p.grad = g }
            let norm = optimizer.step()
            // The plain loop, as Adam.step was written.
            var total = 0.0
            for g in gradients.compactMap({ $0 }) { for v in g { total += Double(v) * Double(v) } }
            let expectedNorm = Float(total.squareRoot())
            #expect(norm == expectedNorm)
            let scale: Float = expectedNorm > 0.5 ? 0.5 / (expectedNorm + 1e-6) : 1
            var power1 = 1.0, power2 = 1.0
            for _ in 0..<step { power1 *= Double(beta1); power2 *= Double(beta2) }
            let correction1 = Float(1 - power1), correction2 = Float(1 - power2)
            for index in parameters.indices {
                guard let grad = gradients[index] else { continue }
                for position in 0..<grad.count {
                    let g = grad[position] * scale
                    first[index][position] = beta1 * first[index][position] + (1 - beta1) * g
                    second[index][position] = beta2 * second[index][position] + (1 - beta2) * g * g
                    let mHat = first[index][position] / correction1
                    let vHat = second[index][position] / correction2
                    plainValues[index][position] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
                }
            }
            for (parameter, values) in zip(parameters, plainValues) {
                #expect(bitPatterns(parameter.data) == bitPatterns(values), "step \(step)")
                #expect(parameter.grad == nil)
            }
        }
    }
}
