import Testing
import RLHFEngine

/// GPT-2 written out with the plain public ops, exactly as the model was composed before
/// attention became one op: the reference the fast paths must match bit for bit.
func referenceLogits(_ model: GPT2, _ tokens: [[Int]]) -> Tensor {
    let (batch, length) = (tokens.count, tokens[0].count)
    let (width, heads, headWidth) = (model.config.embeddingWidth, model.config.headCount, model.config.headWidth)
    let tokenVectors = model.tokenEmbedding.embedding(tokens.flatMap { $0 }, shape: [batch, length])
    let positionVectors = model.positionEmbedding.embedding(Array(0..<length), shape: [length])
    var hidden = tokenVectors + positionVectors
    for block in model.blocks {
        let input = hidden
        let fused = plainAffine(block.attentionInput, block.attentionNorm(input))
        let mixed = referenceAttention(fused, batch: batch, length: length, width: width, heads: heads,
                                       headWidth: headWidth)
        let afterAttention = input + plainAffine(block.attentionOutput, mixed)
        let inner = plainAffine(block.mlpInput, block.mlpNorm(afterAttention)).gelu()
        hidden = afterAttention + plainAffine(block.mlpOutput, inner)
    }
    return model.logits(fromHidden: model.finalNorm(hidden))
}

/// x W + b as the two plain ops (matmul, then the broadcast add), as `Affine` was before it became one op.
func plainAffine(_ layer: Affine, _ input: Tensor) -> Tensor {
    input.matmul(layer.weight) + layer.bias
}

/// Causal self-attention from split heads, matmul, causalMasked and softmax.
func referenceAttention(_ fused: Tensor, batch: Int, length: Int, width: Int, heads: Int, headWidth: Int) -> Tensor {
    func splitHeads(_ part: Int) -> Tensor {
        fused.sliceLastAxis((part * width)..<((part + 1) * width))
            .reshaped([batch, length, heads, headWidth])
            .transposed(1, 2)
    }
    let (query, key, value) = (splitHeads(0), splitHeads(1), splitHeads(2))
    let scores = query.matmul(key.transposed(2, 3)) * (1 / Float(headWidth).squareRoot())
    let weights = scores.causalMasked().softmax()
    return weights.matmul(value).transposed(1, 2).reshaped([batch, length, width])
}

/// Every parameter's gradient, in `parameters` order, then cleared.
func takeGradients(_ model: GPT2) -> [[UInt32]] {
    let result = model.parameters.map { bitPatterns($0.grad ?? []) }
    for parameter in model.parameters { parameter.zeroGrad() }
    return result
}

func randomRows(_ random: inout RandomGenerator, lengths: [Int], vocabulary: Int) -> [[Int]] {
    lengths.map { length in (0..<length).map { _ in 2 + random.nextInt(below: vocabulary - 2) } }
}

func padded(_ rows: [[Int]], to length: Int) -> [[Int]] {
    rows.map { $0 + [Int](repeating: 0, count: length - $0.count) }
}

@Suite("Fused attention matches the composition of plain ops")
struct AttentionTests {
    @Test("values and input gradients, bit for bit", arguments: [(2, 5, 3, 4), (3, 7, 2, 5), (1, 1, 1, 3), (2, 9, 4, 12)])
    func matchesComposition(_ sizes: (Int, Int, Int, Int)) {
        let (batch, length, heads, headWidth) = sizes
        let width = heads * headWidth
        var random = SplitMix64(seed: 905)
        let values = random.floats(batch * length * 3 * width, -2, 2)
        let upstream = Tensor(shape: [batch, length, width], data: random.floats(batch * length * width, -1, 1))

        let fast = Tensor(shape: [batch, length, 3 * width], data: values, requiresGrad: true)
        let fastOut = fast.causalSelfAttention(heads: heads)
        (fastOut * upstream).sum().backward()

        let plain = Tensor(shape: [batch, length, 3 * width], data: values, requiresGrad: true)
        let plainOut = referenceAttention(plain, batch: batch, length: length, width: width, heads: heads,
                                          headWidth: headWidth)
        (plainOut * upstream).sum().backward()

        #expect(bitPatterns(fastOut.data) == bitPatterns(plainOut.data))
        #expect(bitPatterns(fast.grad!) == bitPatterns(plain.grad!))
    }

    @Test("gradient against finite differences")
    func finiteDifferences() {
        var random = SplitMix64(seed: 906)
        let fused = random.tensor([2, 4, 3 * 6], -1, 1)
        expectGradientsMatch([fused]) { $0[0].causalSelfAttention(heads: 2) }
    }
}

@Suite("GPT-2's fast paths: same bits as the plain composition, per row, with and without a graph")
struct ModelFastPathTests {
    static func model(seed: UInt64 = 21, config: GPT2Config = GPT2Config(vocabularySize: 62)) -> GPT2 {
        var random = RandomGenerator(seed: seed)
        return GPT2(config: config, random: &random)
    }

    @Test("logits and every parameter gradient equal the plain composition")
    func matchesReference() {
        let model = ModelFastPathTests.model()
        var random = RandomGenerator(seed: 1)
        let rows = padded(randomRows(&random, lengths: [9, 14, 5], vocabulary: 62), to: 14)
        let targets = rows.flatMap { Array($0.dropFirst()) + [0] }

        let fast = model.logits(rows)
        fast.crossEntropy(targets: targets).backward()
        let fastGradients = takeGradients(model)

        let plain = referenceLogits(model, rows)
        plain.crossEntropy(targets: targets).backward()
        let plainGradients = takeGradients(model)

        #expect(bitPatterns(fast.data) == bitPatterns(plain.data))
        #expect(fastGradients == plainGradients)
    }

    @Test("a row's logits alone equal its logits in a right-padded batch of 3 (graph and no graph)")
    func rowAloneVersusPaddedBatch() {
        let model = ModelFastPathTests.model()
        var random = RandomGenerator(seed: 2)
        let rows = randomRows(&random, lengths: [6, 11, 17], vocabulary: 62)
        let batch = padded(rows, to: 17)
        let vocabulary = 62
        for recording in [true, false] {
            func run<T>(_ body: () -> T) -> T { recording ? body() : GradientMode.withoutRecording(body) }
            let together = run { model.logits(batch) }
            for (index, row) in rows.enumerated() {
                let alone = run { model.logits([row]) }
                let start = index * 17 * vocabulary
                let slice = Array(together.data[start..<(start + row.count * vocabulary)])
                #expect(bitPatterns(alone.data) == bitPatterns(slice), "row \(index), recording \(recording)")
            }
        }
    }

    @Test("graph and no-graph forward passes give the same bits, also when rows are split between threads")
    func inferencePathMatchesGraphPath() {
        let model = ModelFastPathTests.model()
        var random = RandomGenerator(seed: 3)
        for lengths in [[4], [7, 3, 12], Array(repeating: 24, count: 16) + [5, 9]] {
            let batch = padded(randomRows(&random, lengths: lengths, vocabulary: 62), to: lengths.max()!)
            let graph = model.hiddenStates(batch)
            let plain = GradientMode.withoutRecording { model.hiddenStates(batch) }
            #expect(bitPatterns(graph.data) == bitPatterns(plain.data), "lengths \(lengths)")
        }
    }

    @Test("a row's parameter gradients alone equal those in a padded batch where only it has a loss")
    func gradientPerRow() {
        let model = ModelFastPathTests.model()
        var random = RandomGenerator(seed: 4)
        let rows = randomRows(&random, lengths: [8, 13, 4], vocabulary: 62)
        let length = 13
        let batch = padded(rows, to: length)
        for (index, row) in rows.enumerated() {
            // Next-token loss over the row's own positions only.
            let targets = Array(row.dropFirst()) + [0]
            var mask = [Float](repeating: 1, count: row.count)
            mask[row.count - 1] = 0
            model.logits([row]).crossEntropy(targets: targets, mask: mask).backward()
            let alone = takeGradients(model)

            var batchTargets: [Int] = [], batchMask: [Float] = []
            for (other, tokens) in batch.enumerated() {
                for position in 0..<length {
                    batchTargets.append(position + 1 < length ? tokens[position + 1] : 0)
                    batchMask.append(other == index && position + 1 < row.count ? 1 : 0)
                }
            }
            model.logits(batch).crossEntropy(targets: batchTargets, mask: batchMask).backward()
            let together = takeGradients(model)
            #expect(alone == together, "row \(index)")
        }
    }

    @Test("a bigger model (odd head width) still matches the plain composition")
    func oddSizes() {
        let config = GPT2Config(vocabularySize: 37, contextLength: 20, embeddingWidth: 30, layerCount: 3, headCount: 3)
        let model = ModelFastPathTests.model(seed: 5, config: config)
        var random = RandomGenerator(seed: 6)
        let rows = padded(randomRows(&random, lengths: [20, 3], vocabulary: 37), to: 20)
        let targets = rows.flatMap { Array($0.dropFirst()) + [0] }
        let fast = model.logits(rows)
        fast.crossEntropy(targets: targets).backward()
        let fastGradients = takeGradients(model)
        let plain = referenceLogits(model, rows)
        plain.crossEntropy(targets: targets).backward()
        #expect(bitPatterns(fast.data) == bitPatterns(plain.data))
        #expect(fastGradients == takeGradients(model))
    }

    @Test("copy() gives fresh tensors with the same values")
    func copy() {
        let model = ModelFastPathTests.model()
        let twin = model.copy()
        for ((name, original), (twinName, copied)) in zip(model.namedParameters(), twin.namedParameters()) {
            #expect(name == twinName)
            #expect(original !== copied)
            #expect(bitPatterns(original.data) == bitPatterns(copied.data))
            #expect(copied.requiresGrad)
        }
        twin.tokenEmbedding.data[0] += 1
        #expect(model.tokenEmbedding.data[0] != twin.tokenEmbedding.data[0])
    }
}
