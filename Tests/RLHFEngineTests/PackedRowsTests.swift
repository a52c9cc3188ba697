import Testing
import RLHFEngine

/// Rows packed end to end without padding against the same rows right-padded: every real position's
/// value and every gradient, bit for bit, when the padding's gradients are zero (as a masked loss makes them).
@Suite("Packed rows match the padded batch")
struct PackedRowsTests {
    static let lengthSets: [[Int]] = [[5, 1, 9, 3], [7, 7], [1], [12, 2, 2, 11, 6, 1, 16, 4]]

    /// The rows of a (B, T, ...) tensor's data that hold real positions, in the packed order.
    static func realRows(_ values: [Float], lengths: [Int], length: Int, rowSize: Int) -> [Float] {
        lengths.enumerated().flatMap { row, count in
            values[(row * length * rowSize)..<((row * length + count) * rowSize)]
        }
    }

    /// (B, T, ...) data whose padding rows are zero, from packed data.
    static func paddedRows(_ values: [Float], lengths: [Int], length: Int, rowSize: Int) -> [Float] {
        var result = [Float](repeating: 0, count: lengths.count * length * rowSize)
        var start = 0
        for (row, count) in lengths.enumerated() {
            for index in 0..<(count * rowSize) { result[row * length * rowSize + index] = values[start + index] }
            start += count * rowSize
        }
        return result
    }

    @Test("attention within each sequence: outputs and input gradients", arguments: lengthSets)
    func attention(_ lengths: [Int]) {
        let (heads, headWidth, length) = (3, 5, lengths.max()!)
        let width = heads * headWidth
        var random = SplitMix64(seed: 77)
        let paddedInput = random.floats(lengths.count * length * 3 * width, -2, 2)
        let packedUpstream = random.floats(lengths.reduce(0, +) * width, -1, 1)
        for kernel in MatrixKernel.available {
            let padded = Tensor(shape: [lengths.count, length, 3 * width], data: paddedInput, requiresGrad: true)
            let paddedOut = padded.causalSelfAttention(heads: heads, kernel: kernel)
            let upstream = Self.paddedRows(packedUpstream, lengths: lengths, length: length, rowSize: width)
            (paddedOut * Tensor(shape: paddedOut.shape, data: upstream)).sum().backward()

            let packedInput = Self.realRows(paddedInput, lengths: lengths, length: length, rowSize: 3 * width)
            let packed = Tensor(shape: [packedInput.count / (3 * width), 3 * width], data: packedInput,
                                requiresGrad: true)
            let packedOut = packed.causalSelfAttention(heads: heads, sequenceLengths: lengths, kernel: kernel)
            (packedOut * Tensor(shape: packedOut.shape, data: packedUpstream)).sum().backward()

            let real = { (values: [Float], size: Int) in
                bitPatterns(Self.realRows(values, lengths: lengths, length: length, rowSize: size))
            }
            #expect(bitPatterns(packedOut.data) == real(paddedOut.data, width), "\(kernel) outputs")
            #expect(bitPatterns(packed.grad!) == real(padded.grad!, 3 * width), "\(kernel) input gradients")
        }
    }

    static let config = GPT2Config(vocabularySize: 23, contextLength: 16, embeddingWidth: 24, layerCount: 2,
                                   headCount: 3)

    @Test("GPT-2: hidden states, with and without a graph, and every parameter's gradient", arguments: lengthSets)
    func model(_ lengths: [Int]) {
        var generator = RandomGenerator(seed: 31)
        let model = GPT2(config: Self.config, random: &generator)
        var random = SplitMix64(seed: 5)
        // Biases and norms away from their initial 0 and 1, so that their gradients are exercised in full.
        for parameter in model.parameters { parameter.data = parameter.data.map { $0 + random.float(-0.1, 0.1) } }
        let rows = lengths.map { count in (0..<count).map { _ in 2 + Int(random.next() % 21) } }
        let (length, width) = (lengths.max()!, Self.config.embeddingWidth)
        // The pad id 0 is never a real token here, so its embedding's gradient comes from padding alone.
        let paddedTokens = rows.map { $0 + [Int](repeating: 0, count: length - $0.count) }
        let packedWeights = random.floats(lengths.reduce(0, +) * width, -1, 1)

        let paddedHidden = model.hiddenStates(paddedTokens)
        let weights = Self.paddedRows(packedWeights, lengths: lengths, length: length, rowSize: width)
        (paddedHidden * Tensor(shape: paddedHidden.shape, data: weights)).sum().backward()
        let paddedGradients = takeGradients(model)

        let packedRows = PackedRows(rows)
        let packedHidden = model.hiddenStates(packed: packedRows)
        (packedHidden * Tensor(shape: packedHidden.shape, data: packedWeights)).sum().backward()
        let packedGradients = takeGradients(model)

        let real = bitPatterns(Self.realRows(paddedHidden.data, lengths: lengths, length: length, rowSize: width))
        #expect(packedHidden.shape == [packedRows.count, width])
        #expect(bitPatterns(packedHidden.data) == real)
        let inference = GradientMode.withoutRecording { model.hiddenStates(packed: packedRows) }
        #expect(bitPatterns(inference.data) == real)
        for (index, (name, _)) in model.namedParameters().enumerated() {
            #expect(packedGradients[index] == paddedGradients[index], "\(name)")
        }
    }

    @Test("the packed layout: starts, positions, last tokens")
    func layout() {
        let packed = PackedRows([[4, 5, 6], [7], [8, 9]])
        #expect(packed.tokens == [4, 5, 6, 7, 8, 9])
        #expect(packed.positions == [0, 1, 2, 0, 0, 1])
        #expect(packed.starts == [0, 3, 4])
        #expect(packed.lastIndices == [2, 3, 5])
        #expect(packed.index(row: 2, position: 1) == 5)
    }
}
