/// GPT-2 inference with a key/value cache: feed tokens, get the next-token logits, with
/// no autodiff graph and no allocation per step.
///
/// Each block's keys and values of earlier positions are kept, so a new token costs one
/// position's worth of work instead of a whole forward pass over the sequence.
///
/// What it computes: exactly the per-element arithmetic of `GPT2.logits(_:)`, in the
/// same order: embeddings token + position; each layer norm by `Tensor.layerNormRows`;
/// every matrix product by `FastMatrixKernels` (each output summed from +0 over the
/// shared index in order), then + bias; attention by `AttentionKernels` (scores summed
/// over the head width, softmax over the positions so far, outputs summed over those
/// positions in order); GELU by `FastPortableMath.gelu`; residual adds x + f(x); the tied
/// head h wte^T. So the logits are the same bits as the last row of the batched forward
/// (tests check this), on every machine, for any batch or padding the batched path sees.
///
/// The cache holds the weights' values as they were when tokens were fed: after the
/// model's parameters change, start a new decoder.
public final class IncrementalDecoder {
    public let model: GPT2
    /// The tokens fed so far.
    public private(set) var tokens: [Int] = []

    private let width: Int, heads: Int, headWidth: Int, vocabulary: Int, context: Int
    /// Per layer: keys transposed per head, [head][d][position] (leading dimension = context).
    private let keys: [UnsafeMutablePointer<Float>]
    /// Per layer: values, [position][C].
    private let values: [UnsafeMutablePointer<Float>]
    /// wte^T (C x V), so the head is a plain product.
    private let headWeights: UnsafeMutablePointer<Float>
    private var headReady = false
    // Scratch rows for a block of new positions (at most `context` of them).
    private let residual: UnsafeMutablePointer<Float>   // (n, C)
    private let normed: UnsafeMutablePointer<Float>     // (n, C)
    private let fused: UnsafeMutablePointer<Float>      // (n, 3C)
    private let mixed: UnsafeMutablePointer<Float>      // (n, C)
    private let projected: UnsafeMutablePointer<Float>  // (n, C)
    private let inner: UnsafeMutablePointer<Float>      // (n, 4C)
    private let logitsRow: UnsafeMutablePointer<Float>  // (V)
    private let scratch: AttentionScratch

    public init(model: GPT2) {
        self.model = model
        let config = model.config
        width = config.embeddingWidth
        heads = config.headCount
        headWidth = config.headWidth
        vocabulary = config.vocabularySize
        context = config.contextLength
        let cacheSize = Swift.max(config.contextLength * config.embeddingWidth, 1)
        keys = (0..<config.layerCount).map { _ in .allocate(capacity: cacheSize) }
        values = (0..<config.layerCount).map { _ in .allocate(capacity: cacheSize) }
        headWeights = .allocate(capacity: Swift.max(vocabulary * width, 1))
        let rows = Swift.max(context, 1)
        residual = .allocate(capacity: rows * width)
        normed = .allocate(capacity: rows * width)
        fused = .allocate(capacity: rows * 3 * width)
        mixed = .allocate(capacity: rows * width)
        projected = .allocate(capacity: rows * width)
        inner = .allocate(capacity: rows * config.innerWidth)
        logitsRow = .allocate(capacity: Swift.max(vocabulary, 1))
        scratch = AttentionScratch(length: context, headWidth: headWidth)
    }

    /// Copies wte^T into `headWeights` the first time logits are needed.
    private func prepareHead() {
        guard !headReady else { return }
        let (v, c) = (vocabulary, width)
        model.tokenEmbedding.data.withUnsafeBufferPointer { table in
            for token in 0..<v {
                for column in 0..<c { headWeights[column * v + token] = table[token * c + column] }
            }
        }
        headReady = true
    }

    deinit {
        for buffer in keys + values { buffer.deallocate() }
        for buffer in [headWeights, residual, normed, fused, mixed, projected, inner, logitsRow] { buffer.deallocate() }
        scratch.deallocate()
    }

    /// Forgets every token fed so far.
    public func reset() { tokens = [] }

    /// Feeds `newTokens` (at least one) after the tokens so far and returns the
    /// next-token logits after the last of them.
    public func append(_ newTokens: [Int]) -> [Float] {
        feed(newTokens)
        prepareHead()
        let c = width
        // Final norm and the tied head, for the last position only.
        let last = residual + (newTokens.count - 1) * c
        layerNorm(model.finalNorm, rows: 1, input: last, output: normed)
        FastMatrixKernels.multiply(normed, headWeights, logitsRow, m: 1, k: c, n: vocabulary)
        return Array(UnsafeBufferPointer(start: logitsRow, count: vocabulary))
    }

    /// Feeds `newTokens` and writes the final hidden states (after ln_f) of every one of
    /// them into `output`, (count x C): the same bits as `GPT2.hiddenStates` gives them.
    func appendHidden(_ newTokens: [Int], into output: UnsafeMutablePointer<Float>) {
        feed(newTokens)
        layerNorm(model.finalNorm, rows: newTokens.count, input: residual, output: output)
    }

    /// Runs the blocks over `newTokens`, leaving their residual stream in `residual`.
    private func feed(_ newTokens: [Int]) {
        precondition(!newTokens.isEmpty, "append needs at least one token")
        let start = tokens.count
        let count = newTokens.count
        precondition(start + count <= context,
                     "sequence of \(start + count) tokens exceeds the context of \(context)")
        for id in newTokens {
            precondition(id >= 0 && id < vocabulary, "embedding: id \(id) outside the table of \(vocabulary) rows")
        }
        let c = width
        // Embeddings: token + position.
        model.tokenEmbedding.data.withUnsafeBufferPointer { tokenTable in
            model.positionEmbedding.data.withUnsafeBufferPointer { positionTable in
                for (row, id) in newTokens.enumerated() {
                    let target = residual + row * c
                    for column in 0..<c {
                        target[column] = tokenTable[id * c + column] + positionTable[(start + row) * c + column]
                    }
                }
            }
        }
        for (layer, block) in model.blocks.enumerated() {
            // x = x + c_proj(attention(c_attn(ln_1(x))))
            layerNorm(block.attentionNorm, rows: count, input: residual, output: normed)
            affine(block.attentionInput, rows: count, input: normed, output: fused)
            attend(layer: layer, start: start, rows: count)
            affine(block.attentionOutput, rows: count, input: mixed, output: projected)
            addInPlace(residual, projected, count * c)
            // x = x + c_proj(gelu(c_fc(ln_2(x))))
            layerNorm(block.mlpNorm, rows: count, input: residual, output: normed)
            affine(block.mlpInput, rows: count, input: normed, output: inner)
            let innerCount = count * 4 * c
            FastPortableMath.gelu(inner, inner, count: innerCount)
            affine(block.mlpOutput, rows: count, input: inner, output: projected)
            addInPlace(residual, projected, count * c)
        }
        tokens += newTokens
    }

    private func layerNorm(_ norm: LayerNormParameters, rows: Int, input: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>) {
        let c = width
        norm.weight.data.withUnsafeBufferPointer { gamma in
            norm.bias.data.withUnsafeBufferPointer { beta in
                Tensor.layerNormRows(input, rows: rows, width: c, epsilon: norm.epsilon,
                                     gamma: gamma.baseAddress!, beta: beta.baseAddress!,
                                     output: output, normalised: nil, inverseDeviations: nil)
            }
        }
    }

    /// output = input W, then + b (two roundings, as matmul then the broadcast add).
    private func affine(_ layer: Affine, rows: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let (inputWidth, outputWidth) = (layer.weight.shape[0], layer.weight.shape[1])
        layer.weight.data.withUnsafeBufferPointer { w in
            FastMatrixKernels.multiply(input, w.baseAddress!, output, m: rows, k: inputWidth, n: outputWidth)
        }
        layer.bias.data.withUnsafeBufferPointer { b in
            for row in 0..<rows {
                let target = output + row * outputWidth
                for column in 0..<outputWidth { target[column] = target[column] + b[column] }
            }
        }
    }

    private func addInPlace(_ target: UnsafeMutablePointer<Float>, _ addend: UnsafePointer<Float>, _ count: Int) {
        for index in 0..<count { target[index] = target[index] + addend[index] }
    }

    /// Stores the new positions' keys and values, then attends from each of them.
    private func attend(layer: Int, start: Int, rows: Int) {
        let (c, hs) = (width, headWidth)
        let keyCache = keys[layer], valueCache = values[layer]
        let scale = 1 / Float(hs).squareRoot()
        for row in 0..<rows {
            let position = start + row
            let source = fused + row * 3 * c
            for h in 0..<heads {
                for d in 0..<hs { keyCache[(h * hs + d) * context + position] = source[c + h * hs + d] }
            }
            (valueCache + position * c).update(from: source + 2 * c, count: c)
        }
        for row in 0..<rows {
            let count = start + row + 1
            for h in 0..<heads {
                AttentionKernels.attentionWeights(
                    query: fused + row * 3 * c + h * hs, keysTransposed: keyCache + h * hs * context,
                    leading: context, count: count, headWidth: hs, scale: scale, row: scratch.row)
                let out = mixed + row * c + h * hs
                out.update(repeating: 0, count: hs)
                for j in 0..<count {
                    AttentionKernels.addScaled(out, scratch.row[j], valueCache + j * c + h * hs, hs)
                }
            }
        }
    }
}
