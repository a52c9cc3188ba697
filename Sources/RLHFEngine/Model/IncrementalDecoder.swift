import RLHFKernels

/// GPT-2 inference with a key/value cache: feed tokens, get the next-token logits, with
/// no autodiff graph and no allocation per step.
///
/// Each block's keys and values of earlier positions are kept, so a new token costs one
/// position's worth of work instead of a whole forward pass over the sequence.
///
/// What it computes: exactly the per-element arithmetic of `GPT2.logits(_:)`, in the
/// same order: embeddings token + position; each layer norm by `Tensor.layerNormRows`;
/// every matrix product by `rlhf_row_columns` (one new position; AVX2, AVX-512, NEON) or `FastMatrixKernels`
/// (each output summed from +0 over the shared index in order), then + bias; attention by
/// `rlhf_cached_attention_grouped` (AVX2, AVX-512) or `CachedAttention.head`, with the arithmetic of
/// `AttentionKernels` (scores summed over the head width, softmax over the positions so
/// far, outputs summed over those positions in order); GELU by `FastPortableMath.gelu`; residual adds
/// x + f(x); the tied head h wte^T. So the logits are the same bits as the last row of the batched forward
/// (tests check this), on every machine, for any batch or padding the batched path sees.
///
/// Products read the decoder's copy of each weight matrix; where a layer's output width is not a multiple of
/// `panelColumns` (the widest tiles' panel) its rows are padded with zero columns to one, so no product of
/// several rows packs a partial panel. A product of one row (one new position) runs in `rlhf_row_columns`'s
/// lanes where the processor has them, over the real columns rounded up to 16: the same sums, up to 16
/// vectors of columns side by side (8 on AVX2). Padded columns' outputs are never read. When the weights
/// read per position exceed `splitWeightBytes` (more than one core's level-2 cache holds), each one-row
/// product of at least `splitProductWeights` weights and 32 real columns is cut by columns between the two
/// threads: the choice depends only on the model's sizes, and no sum crosses the cut.
///
/// The copies (weights, embeddings, layer norms, biases) are taken when the decoder is made, the head's at the
/// first `append`; a token reads only them, through raw pointers, with no reference counting or exclusivity
/// check. A decoder used across a change of the parameters would mix old and new weights: start a new one.
public final class IncrementalDecoder {
    public let model: GPT2
    /// The tokens fed so far.
    public internal(set) var tokens: [Int] = []

    // Internal, not private, for the snapshots and the steps (IncrementalDecoder+Snapshot.swift, +Steps.swift).
    let width: Int, context: Int, layerCount: Int
    let heads: Int, headWidth: Int, vocabulary: Int
    /// The context rounded up to `CachedAttention.block`, so scores are read in whole blocks.
    let keyLeading: Int
    /// Per layer: keys transposed per head, [head][d][position] (leading dimension `keyLeading`).
    let keys: [UnsafeMutablePointer<Float>]
    /// Per layer: values, [position][C].
    let values: [UnsafeMutablePointer<Float>]
    /// wte^T (C x V), rows `headStride` >= V apart (zero columns after V), so the head is a plain product.
    private let headWeights: UnsafeMutablePointer<Float>
    private let headStride: Int
    private var headReady = false
    /// Per layer: the copies of c_attn, attention c_proj, c_fc, MLP c_proj (padded where needed), kept alive
    /// here and read through `products`.
    private let copies: [PaddedWeights]
    /// Per layer, the four products' weights (pointer and row stride) of `copies`, in that order.
    let products: UnsafeMutablePointer<ProductWeights>
    /// Copies of wte (V x C) then wpe (context x C), read per token for the embeddings.
    private let embeddings: UnsafeMutablePointer<Float>

    /// A product's weights: (depth x stride) floats, of which the first columns are the layer's.
    struct ProductWeights {
        let pointer: UnsafePointer<Float>, stride: Int
    }
    /// Copies of the small parameters, read per token without touching the model's arrays: per layer ln_1
    /// then ln_2 (and ln_f last) in `norms`, the biases of c_attn, attention c_proj, c_fc, MLP c_proj in
    /// `biases`, all in the one buffer `smallParameters`.
    private let norms: [NormCopy]
    private let biases: [UnsafePointer<Float>]
    private let smallParameters: UnsafeMutablePointer<Float>

    /// A layer norm's gamma and beta (copied) and its epsilon.
    struct NormCopy {
        let gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    }
    /// Row strides of the products' outputs: 3C, C and 4C, each rounded up when its layer is padded.
    let fusedStride: Int, projectedStride: Int, innerStride: Int
    // Scratch rows for a block of new positions (at most `context` of them).
    let residual: UnsafeMutablePointer<Float>   // (n, C)
    let normed: UnsafeMutablePointer<Float>     // (n, C)
    let fused: UnsafeMutablePointer<Float>      // (n, 3C), rows fusedStride apart
    let mixed: UnsafeMutablePointer<Float>      // (n, C)
    let projected: UnsafeMutablePointer<Float>  // (n, C), rows projectedStride apart
    let inner: UnsafeMutablePointer<Float>      // (n, 4C), rows innerStride apart
    private let logitsRow: UnsafeMutablePointer<Float>  // (V), headStride floats
    let scores: UnsafeMutablePointer<Float>     // (heads x (keyLeading + 16)): a row per head

    /// The kernel of one-row products (nil: the portable tiles, through `FastMatrixKernels`).
    let rowKernel: MatrixKernel?
    /// Whether one-row products of at least `smallestSplitProduct` weights run on both threads.
    let splitsRows: Bool
    /// The smallest one-row product that is split when products are (`splitProductWeights` by default).
    let smallestSplitProduct: Int

    /// Weights read per position (every layer's four products and the head, 4 bytes each) above which one-row
    /// products are split: a core's level-2 cache (2 MB here) no longer holds them, and two cores read them
    /// from beyond it at twice one core's rate. d48 L2 reads 0.2 MB per position (never split); d192 L6 10.7.
    static let splitWeightBytes = 2 << 20
    /// The smallest one-row product (weights, depth x columns) that is split when products are: below it
    /// the hand-over to the worker costs more than half the product.
    static let splitProductWeights = 1 << 14

    /// Output columns are padded to a multiple of this: the panel of the widest tiles (AVX-512's
    /// 2 x 16 lanes), itself a multiple of every other kernel's panel (16, 8) and the portable block (8).
    static let panelColumns = 32

    /// `width` rounded up to a multiple of `panelColumns`.
    static func paddedWidth(_ width: Int) -> Int {
        (width + panelColumns - 1) / panelColumns * panelColumns
    }

    public convenience init(model: GPT2) {
        self.init(model: model, splitWeightBytes: Self.splitWeightBytes)
    }

    /// A decoder of `model` whose one-row products of at least `splitProductWeights` weights are split across
    /// the two threads when the weights read per position exceed `splitWeightBytes` (tests pass 0 and 0 to
    /// split every one of 32 columns or more), with `kernel`'s row products and attention lanes (tests pass
    /// each available one; the portable kernel runs `FastMatrixKernels` and `CachedAttention.head`).
    init(model: GPT2, splitWeightBytes: Int, splitProductWeights: Int = IncrementalDecoder.splitProductWeights,
         kernel: MatrixKernel = .selected) {
        self.model = model
        let config = model.config
        precondition(kernel.isAvailable, "the \(kernel) kernel does not run on this processor")
        rowKernel = kernel == .portable ? nil : kernel
        smallestSplitProduct = splitProductWeights
        let c = config.embeddingWidth
        let weightsPerPosition = config.layerCount * 12 * c * c + c * config.vocabularySize
        splitsRows = weightsPerPosition * MemoryLayout<Float>.size > splitWeightBytes
        width = config.embeddingWidth
        layerCount = config.layerCount
        heads = config.headCount
        headWidth = config.headWidth
        vocabulary = config.vocabularySize
        context = config.contextLength
        keyLeading = CachedAttention.rounded(context)
        let cacheSize = Swift.max(config.contextLength * config.embeddingWidth, 1)
        let keySize = Swift.max(keyLeading * config.embeddingWidth, 1)
        keys = (0..<config.layerCount).map { _ in
            let cache = UnsafeMutablePointer<Float>.allocate(capacity: keySize)
            cache.initialize(repeating: 0, count: keySize)  // positions not yet fed are read and ignored
            return cache
        }
        values = (0..<config.layerCount).map { _ in .allocate(capacity: cacheSize) }
        headStride = Self.paddedWidth(vocabulary)
        headWeights = .allocate(capacity: Swift.max(headStride * width, 1))
        copies = model.blocks.flatMap { block in
            [block.attentionInput, block.attentionOutput, block.mlpInput, block.mlpOutput].map {
                PaddedWeights($0, always: true)!
            }
        }
        products = .allocate(capacity: Swift.max(copies.count, 1))
        for (index, copy) in copies.enumerated() {
            (products + index).initialize(to: ProductWeights(pointer: UnsafePointer(copy.pointer), stride: copy.stride))
        }
        let embeddingCount = (config.vocabularySize + config.contextLength) * config.embeddingWidth
        let tables = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(embeddingCount, 1))
        model.tokenEmbedding.data.withUnsafeBufferPointer { tables.initialize(from: $0.baseAddress!, count: $0.count) }
        model.positionEmbedding.data.withUnsafeBufferPointer {
            (tables + config.vocabularySize * config.embeddingWidth).initialize(from: $0.baseAddress!, count: $0.count)
        }
        embeddings = tables
        // ln_1, ln_2 (4C) and the four biases (3C + C + 4C + C) per layer, then ln_f (2C).
        let smallCount = (config.layerCount * 13 + 2) * c
        let small = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(smallCount, 1))
        var filled = 0
        func copy(_ tensor: Tensor) -> UnsafePointer<Float> {
            precondition(filled + tensor.data.count <= smallCount, "small parameters past their buffer")
            let start = small + filled
            tensor.data.withUnsafeBufferPointer { start.initialize(from: $0.baseAddress!, count: $0.count) }
            filled += tensor.data.count
            return UnsafePointer(start)
        }
        func copy(_ norm: LayerNormParameters) -> NormCopy {
            NormCopy(gamma: copy(norm.weight), beta: copy(norm.bias), epsilon: norm.epsilon)
        }
        norms = model.blocks.flatMap { [copy($0.attentionNorm), copy($0.mlpNorm)] } + [copy(model.finalNorm)]
        biases = model.blocks.flatMap { block in
            [block.attentionInput, block.attentionOutput, block.mlpInput, block.mlpOutput].map { copy($0.bias) }
        }
        precondition(filled == smallCount, "small parameters: \(filled) floats copied, \(smallCount) expected")
        smallParameters = small
        fusedStride = copies.count >= 4 ? copies[0].stride : 3 * width
        projectedStride = copies.count >= 4 ? copies[1].stride : width
        innerStride = copies.count >= 4 ? copies[2].stride : config.innerWidth
        let rows = Swift.max(context, 1)
        residual = .allocate(capacity: rows * width)
        normed = .allocate(capacity: rows * width)
        fused = .allocate(capacity: rows * fusedStride)
        mixed = .allocate(capacity: rows * width)
        projected = .allocate(capacity: rows * projectedStride)
        inner = .allocate(capacity: rows * innerStride)
        logitsRow = .allocate(capacity: Swift.max(headStride, 1))
        // Rounded up to the widest lanes (16) too, a row for each head (`rlhf_cached_attention_grouped`).
        scores = .allocate(capacity: Swift.max(heads, 1) * (keyLeading + 16))
    }

    /// Copies wte^T into `headWeights` (zero columns after V) the first time logits are needed.
    private func prepareHead() {
        guard !headReady else { return }
        let (v, c, stride) = (vocabulary, width, headStride)
        model.tokenEmbedding.data.withUnsafeBufferPointer { table in
            for column in 0..<c {
                let target = headWeights + column * stride
                for token in 0..<v { target[token] = table[token * c + column] }
                for token in v..<stride { target[token] = 0 }
            }
        }
        headReady = true
    }

    deinit {
        for buffer in keys + values { buffer.deallocate() }
        for buffer in [headWeights, smallParameters, residual, normed, fused, mixed, projected, inner, logitsRow,
                       scores, embeddings] {
            buffer.deallocate()
        }
        products.deallocate()
    }

    /// Forgets every token fed so far.
    public func reset() { tokens.removeAll(keepingCapacity: true) }  // no reallocation per sample

    /// Feeds `newTokens` (at least one) after the tokens so far and returns the
    /// next-token logits after the last of them.
    public func append(_ newTokens: [Int]) -> [Float] {
        Array(newTokens.withUnsafeBufferPointer { logits(after: $0) })
    }

    /// Feeds one token and returns the next-token logits: `append([token])` without its arrays. The logits
    /// stay in the decoder's own buffer, valid until the next token is fed.
    func append(token: Int) -> UnsafeBufferPointer<Float> {
        var token = token
        return withUnsafePointer(to: &token) { logits(after: UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// Feeds `newTokens`, then the final norm and the tied head for the last of them only.
    private func logits(after newTokens: UnsafeBufferPointer<Int>) -> UnsafeBufferPointer<Float> {
        feed(newTokens)
        prepareHead()
        let c = width
        let last = residual + (newTokens.count - 1) * c
        layerNorm(norms[norms.count - 1], rows: 1, input: last, output: normed)
        product(input: normed, inputStride: c, weights: headWeights, weightStride: headStride, columns: vocabulary,
                depth: c, rows: 1, output: logitsRow, outputStride: headStride)
        return UnsafeBufferPointer(start: logitsRow, count: vocabulary)
    }

    /// Feeds `newTokens` and writes the final hidden states (after ln_f) of those from index `first` on
    /// into `output`, ((count - first) x C): the same bits as `GPT2.hiddenStates` gives them (layer norm
    /// works row by row, so the rows before `first` are simply not normalised).
    func appendHidden(_ newTokens: [Int], from first: Int = 0, into output: UnsafeMutablePointer<Float>) {
        precondition(first >= 0 && first < newTokens.count, "appendHidden: first \(first) of \(newTokens.count)")
        newTokens.withUnsafeBufferPointer { feed($0) }
        layerNorm(norms[norms.count - 1], rows: newTokens.count - first, input: residual + first * width,
                  output: output)
    }

    /// Runs the blocks over `newTokens`, leaving their residual stream in `residual`.
    private func feed(_ newTokens: UnsafeBufferPointer<Int>) {
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
        let (tokenTable, positionTable) = (embeddings, embeddings + vocabulary * c)
        for (row, id) in newTokens.enumerated() {
            let target = residual + row * c
            for column in 0..<c {
                target[column] = tokenTable[id * c + column] + positionTable[(start + row) * c + column]
            }
        }
        for layer in 0..<layerCount {
            let weights = products + 4 * layer
            let innerWidth = 4 * c
            // x = x + c_proj(attention(c_attn(ln_1(x))))
            layerNorm(norms[2 * layer], rows: count, input: residual, output: normed)
            affine(weights[0], bias: biases[4 * layer], rows: count, input: normed,
                   inputWidth: c, inputStride: c, outputWidth: 3 * c, output: fused, outputStride: fusedStride)
            attend(layer: layer, start: start, rows: count)
            affine(weights[1], bias: biases[4 * layer + 1], rows: count, input: mixed,
                   inputWidth: c, inputStride: c, outputWidth: c, output: projected, outputStride: projectedStride)
            addRows(projected, rows: count)
            // x = x + c_proj(gelu(c_fc(ln_2(x))))
            layerNorm(norms[2 * layer + 1], rows: count, input: residual, output: normed)
            affine(weights[2], bias: biases[4 * layer + 2], rows: count, input: normed,
                   inputWidth: c, inputStride: c, outputWidth: innerWidth, output: inner, outputStride: innerStride)
            if innerStride == innerWidth {
                FastPortableMath.gelu(inner, inner, count: count * innerWidth)
            } else {
                for row in 0..<count {
                    FastPortableMath.gelu(inner + row * innerStride, inner + row * innerStride, count: innerWidth)
                }
            }
            affine(weights[3], bias: biases[4 * layer + 3], rows: count, input: inner,
                   inputWidth: innerWidth, inputStride: innerStride, outputWidth: c, output: projected,
                   outputStride: projectedStride)
            addRows(projected, rows: count)
        }
        tokens.append(contentsOf: newTokens)
    }
}
