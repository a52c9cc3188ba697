import Testing
import RLHFEngine

@Suite("Generation's fast paths: one-row products, split decoders and the sampler's buffers, bit for bit")
struct DecodeFastPathTests {
    @Test("one-row products of every kernel, on one thread and split, equal the plain loops")
    func rowProducts() {
        var random = SplitMix64(seed: 1501)
        let shapes: [(Int, Int)] = [(0, 32), (1, 32), (7, 64), (48, 160), (48, 96), (193, 576), (192, 768),
                                    (768, 224), (12, 32 * 9)]
        for (depth, columns) in shapes {
            var a = random.floats(depth, -2, 2)
            var b = random.floats(depth * columns, -2, 2)
            // Signed zeros (0 + (-0) must stay +0, as in the tiles), and in column 1 two products that cancel.
            if depth > 1 {
                a[0] = -0.0
                a[1] = 0
                b[columns - 1] = -0.0
            }
            if depth > 3 {
                a[3] = a[2]
                b[3 * columns + 1] = -b[2 * columns + 1]
            }
            let reference = MatrixKernelCheck.multiply(a, b, m: 1, k: depth, n: columns, kernel: .reference)
            for kernel in MatrixKernel.allCases where kernel.isAvailable && kernel != .portable {
                for split in [false, true] {
                    let row = DecodeCheck.rowProduct(a, b, depth: depth, columns: columns, kernel: kernel,
                                                     split: split)
                    #expect(row.map(bitPatterns) == bitPatterns(reference),
                            "\(kernel) split \(split), depth \(depth), columns \(columns)")
                }
            }
        }
        #expect(DecodeCheck.rowProduct([1], [Float](repeating: 1, count: 48), depth: 1, columns: 48,
                                       kernel: .selected, split: false) == nil, "48 columns: not its shape")
    }

    @Test("a decoder splitting every one-row product, in every kernel: batched logits, generate's samples",
          arguments: [(48, 62), (64, 64), (96, 62)])
    func splitDecoder(width: Int, vocabulary: Int) {
        var random = RandomGenerator(seed: 1502)
        let model = GPT2(config: GPT2Config(vocabularySize: vocabulary, embeddingWidth: width), random: &random)
        #expect(!DecodeCheck.splitsByDefault(model), "small models read their weights from the level-2 cache")
        let tokens = randomRows(&random, lengths: [24], vocabulary: vocabulary)[0]
        for kernel in MatrixKernel.available {
            let decoder = DecodeCheck.splittingDecoder(model, kernel: kernel)
            var fed = 0
            for piece in [6, 1, 1, 9, 1, 6] {
                let logits = decoder.append(Array(tokens[fed..<(fed + piece)]))
                fed += piece
                let batched = IncrementalDecoderTests.batchedLogits(model, Array(tokens.prefix(fed)),
                                                                    position: fed - 1)
                #expect(bitPatterns(logits) == bitPatterns(batched), "\(kernel) width \(width), after \(fed) tokens")
            }
            let generator = DecodeCheck.splittingGenerator(model, kernel: kernel)
            for (index, prompt) in [Array(tokens.prefix(3)), [tokens[5]], Array(tokens.prefix(3))].enumerated() {
                var plain = RandomGenerator(seed: 1510 + UInt64(index))
                var fast = plain
                let expected = model.generate(prompt: prompt, maxNewTokens: 28, eosID: 1, sampler: Sampler(),
                                              random: &plain)
                let sampled = generator.generate(prompt: prompt, maxNewTokens: 28, eosID: 1, sampler: Sampler(),
                                                 random: &fast)
                #expect(sampled == expected && plain == fast, "\(kernel) width \(width), prompt \(index)")
            }
        }
    }

    @Test("a decoder fed its whole context at once, for contexts that are not whole blocks of 16 positions",
          arguments: [24, 40])
    func wholeContext(context: Int) {
        var random = RandomGenerator(seed: 1505 + UInt64(context))
        let model = GPT2(config: GPT2Config(vocabularySize: 62, contextLength: context), random: &random)
        let tokens = randomRows(&random, lengths: [context], vocabulary: 62)[0]
        let batched = IncrementalDecoderTests.batchedLogits(model, tokens, position: context - 1)
        for kernel in MatrixKernel.available {
            let logits = DecodeCheck.decoder(model, kernel: kernel).append(tokens)
            #expect(bitPatterns(logits) == bitPatterns(batched), "\(kernel), context \(context)")
        }
    }

    @Test("a model of width 192 and six layers splits by default and keeps the batched bits")
    func largeModelSplits() {
        var random = RandomGenerator(seed: 1503)
        let config = GPT2Config(vocabularySize: 62, contextLength: 12, embeddingWidth: 192, layerCount: 6,
                                headCount: 6)
        let model = GPT2(config: config, random: &random)
        #expect(DecodeCheck.splitsByDefault(model))
        let tokens = randomRows(&random, lengths: [12], vocabulary: 62)[0]
        let decoder = IncrementalDecoder(model: model)
        var fed = 0
        for piece in [4, 1, 1, 6] {
            let logits = decoder.append(Array(tokens[fed..<(fed + piece)]))
            fed += piece
            let batched = IncrementalDecoderTests.batchedLogits(model, Array(tokens.prefix(fed)), position: fed - 1)
            #expect(bitPatterns(logits) == bitPatterns(batched), "after \(fed) tokens")
        }
    }

    @Test("the sampler's buffer path draws the token and advances the generator as sample(logits:random:)")
    func samplerBuffers() {
        var values = SplitMix64(seed: 1504)
        let samplers = [Sampler(), Sampler(temperature: 0.7, topK: 5), Sampler.greedy, Sampler(temperature: 1.5),
                        Sampler(temperature: 0.05), Sampler(temperature: 1, topK: 62), Sampler(temperature: 1, topK: 0)]
        for (index, sampler) in samplers.enumerated() {
            var plain = RandomGenerator(seed: UInt64(1600 + index))
            var fast = plain
            for count in [1, 7, 8, 9, 62, 64, 100] {
                for scale: Float in [0.1, 4, 60] {
                    var logits = values.floats(count, -scale, scale)
                    if count > 3 { logits[2] = logits[1] }  // a tie
                    let expected = sampler.sample(logits: logits, random: &plain)
                    let drawn = DecodeCheck.sampleFromBuffer(sampler, logits: logits, random: &fast)
                    #expect(drawn == expected, "sampler \(index), \(count) logits, scale \(scale)")
                    #expect(plain == fast, "sampler \(index), \(count) logits: the generators advanced alike")
                }
            }
        }
    }
}
