import RLHFKernels

/// Multi-head causal self-attention as one op, bit-identical to the composition of
/// plain ops it replaces:
///
///   q, k, v = split(fused) into heads            (B, nh, T, hs) each
///   s = (q k^T) * (1 / sqrt(hs))                  (B, nh, T, T)
///   w = softmax(causalMasked(s))                  (B, nh, T, T)
///   out = merge heads of (w v)                    (B, T, C)
///
/// The input is c_attn's output (B, T, 3C) with q, k, v side by side; the result is the
/// heads' outputs side by side, ready for c_proj.
///
/// What each element is, in the order it is summed (every sum starts at +0 and adds one
/// product at a time, left to right, in Float, as `MatrixKernels` and `Tensor.softmax` do):
///   s[i,j]   = (sum over d of q[i,d] k[j,d]) * scale,             for j <= i
///   w[i,j]   = softmax over j <= i, exactly `Tensor.softmaxRow`    (w[i,j] = 0 for j > i)
///   out[i,d] = sum over j <= i of w[i,j] v[j,d]
/// Backward, with g = dout, per row i in increasing order:
///   dw[j]    = sum over d of g[i,d] v[j,d]
///   dot      = sum over j <= i of dw[j] w[i,j]
///   ds[j]    = (w[i,j] (dw[j] - dot)) * scale
///   dq[i,d]  = sum over j <= i of ds[j] k[j,d]
///   dk[j,d] += q[i,d] ds[j],  dv[j,d] += w[i,j] g[i,d]    (so summed over i >= j, in order)
///
/// The composition also visits the masked entries (j > i), but there every term it adds is
/// an exact zero (a weight of 0 times a finite value, or a gradient the mask set to 0), and
/// adding a zero to a sum that started at +0 never changes its bits. So skipping them gives
/// the same bits for finite inputs, and about half the work. A row's outputs depend only on
/// its own earlier positions: never on the batch size, the padding, or the thread count.
///
/// Where `kernel` has attention lanes (AVX2, AVX-512: RLHFKernels' AttentionHeads.c) each head runs
/// there, with the same terms in the same order for every element and so the same bits (one query row
/// per lane for the scores and the softmax, one head-width index per lane for the sums over positions);
/// elsewhere `AttentionKernels` below runs. The saved weights are the one path's own (the lanes keep them
/// transposed), read back only by the same path's backward.
extension Tensor {
    /// Causal self-attention over c_attn's fused output: (B, T, 3C) -> (B, T, C), by `kernel`'s lanes.
    public func causalSelfAttention(heads: Int, kernel: MatrixKernel = .selected) -> Tensor {
        precondition(shape.count == 3 && shape[2] % 3 == 0, "causalSelfAttention: input \(shape) is not (B, T, 3C)")
        return causalSelfAttention(heads: heads, sequenceLengths: [Int](repeating: shape[1], count: shape[0]),
                                   kernel: kernel)
    }

    /// Causal self-attention over sequences laid end to end: (N, 3C) -> (N, C) (or (B, T, 3C) -> (B, T, C)
    /// with B sequences of length T), where the rows are sequences of `sequenceLengths` one after another
    /// (their sum is N). Each (sequence, head) attends within its own rows only: a sequence of length L
    /// gets exactly the bits its rows would get in a batch right-padded to any T >= L (its rows never
    /// read the padding after them, and the padding's gradients, exact zeros, only add +-0 to sums that
    /// start from +0, which leaves them as they are).
    public func causalSelfAttention(heads: Int, sequenceLengths lengths: [Int],
                                    kernel: MatrixKernel = .selected) -> Tensor {
        precondition(shape.count >= 2 && shape.last! % 3 == 0, "causalSelfAttention: input \(shape) is not (..., 3C)")
        let width = shape.last! / 3
        let rows = count / Swift.max(3 * width, 1)
        precondition(lengths.allSatisfy { $0 >= 0 } && lengths.reduce(0, +) == rows,
                     "causalSelfAttention: sequence lengths \(lengths) for \(rows) rows")
        precondition(heads > 0 && width % heads == 0, "causalSelfAttention: \(heads) heads for width \(width)")
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let keepWeights = GradientMode.isRecording && requiresGrad
        let layout = AttentionLayout(lengths: lengths, heads: heads)
        // Every head writes its columns of every output row, so the output starts uninitialised. The saved
        // weights are written for j <= i only (the lanes and `AttentionKernels` alike), and only those are
        // read back, by the same path's backward: the rest is never read, so that buffer is not zeroed either.
        let (outputCount, weightCount) = (rows * width, keepWeights ? layout.weightCount : 0)
        var output = [Float](unsafeUninitializedCapacity: outputCount) { _, initialised in initialised = outputCount }
        var weights = [Float](unsafeUninitializedCapacity: weightCount) { _, initialised in initialised = weightCount }
        data.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { result in
                weights.withUnsafeMutableBufferPointer { saved in
                    AttentionScratch.forEachPair(layout, headWidth: headWidth) { pair, scratch in
                        let (start, length, h) = layout.sequence(of: pair)
                        let row0 = input.baseAddress! + start * 3 * width + h * headWidth
                        let out = result.baseAddress! + start * width + h * headWidth
                        let kept = keepWeights ? saved.baseAddress! + layout.weightOffsets[pair] : nil
                        if rlhf_attention_forward(kernel.rawValue, row0, row0 + width, row0 + 2 * width, 3 * width,
                                                  length, headWidth, scale, out, width, kept, scratch.wide) != 0 {
                            return
                        }
                        AttentionKernels.forwardHead(
                            queries: row0, keys: row0 + width, values: row0 + 2 * width, stride: 3 * width,
                            length: length, headWidth: headWidth, scale: scale, output: out, outputStride: width,
                            weights: kept, scratch: scratch)
                    }
                }
            }
        }
        let savedWeights = weights
        return Tensor(shape: Array(shape.dropLast()) + [width], data: output, parents: [self]) { result in
            self.accumulateGrad(from: result) { upstream, dInput in
                self.data.withUnsafeBufferPointer { input in
                    savedWeights.withUnsafeBufferPointer { saved in
                        AttentionScratch.forEachPair(layout, headWidth: headWidth) { pair, scratch in
                            let (start, length, h) = layout.sequence(of: pair)
                            let offset = start * 3 * width + h * headWidth
                            let base = input.baseAddress! + offset
                            let dBase = dInput.baseAddress! + offset
                            let kept = saved.baseAddress! + layout.weightOffsets[pair]
                            let g = upstream.baseAddress! + start * width + h * headWidth
                            if rlhf_attention_backward(kernel.rawValue, base, base + width, base + 2 * width,
                                                       3 * width, kept, g, width, dBase, dBase + width,
                                                       dBase + 2 * width, length, headWidth, scale,
                                                       scratch.wide) != 0 {
                                return
                            }
                            AttentionKernels.backwardHead(
                                queries: base, keys: base + width, values: base + 2 * width, stride: 3 * width,
                                weights: kept, upstream: g, upstreamStride: width,
                                dQueries: dBase, dKeys: dBase + width, dValues: dBase + 2 * width,
                                length: length, headWidth: headWidth, scale: scale, scratch: scratch)
                        }
                    }
                }
            }
        }
    }
}

/// Where each (sequence, head) pair p = sequence * heads + head of `causalSelfAttention` reads and keeps its
/// weights: its sequence's first row, its length L, and the start of its L x L weights (`weightCount` in all).
struct AttentionLayout {
    let heads: Int, longest: Int, weightCount: Int
    let starts: [Int], lengths: [Int], weightOffsets: [Int]

    init(lengths: [Int], heads: Int) {
        var (starts, offsets, row, offset) = ([Int](), [Int](), 0, 0)
        for length in lengths {
            starts.append(row)
            row += length
            for _ in 0..<heads { offsets.append(offset); offset += length * length }
        }
        (self.heads, self.lengths, self.starts, weightOffsets) = (heads, lengths, starts, offsets)
        (weightCount, longest) = (offset, lengths.max() ?? 0)
    }

    var pairs: Int { lengths.count * heads }

    @inline(__always)
    func sequence(of pair: Int) -> (start: Int, length: Int, head: Int) {
        (starts[pair / heads], lengths[pair / heads], pair % heads)
    }
}

/// Per-thread working memory of the attention kernels.
struct AttentionScratch {
    /// Calls `body` for every (sequence, head) pair of `layout` with a scratch of its chunk (sized for the
    /// longest sequence). Above a fixed size (the sum over pairs of L x L x hs >= 2^16) the pairs are cut
    /// into up to `WorkerPool.defaultChunks` chunks of consecutive pairs (their count fixed by the number of
    /// pairs) that `WorkerPool`'s two threads claim in turn: each pair writes only its own outputs, so the
    /// bits are the same whichever thread runs it.
    static func forEachPair(_ layout: AttentionLayout, headWidth: Int, _ body: (Int, AttentionScratch) -> Void) {
        let pairs = layout.pairs
        func run(_ range: Range<Int>) {
            let scratch = AttentionScratch(length: layout.longest, headWidth: headWidth)
            defer { scratch.deallocate() }
            for pair in range { body(pair, scratch) }
        }
        if pairs >= 2 && layout.weightCount * headWidth >= 1 << 16 {
            let chunks = WorkerPool.chunkCount(units: pairs, least: 1)
            WorkerPool.runChunks(chunks) { chunk in run((pairs * chunk / chunks)..<(pairs * (chunk + 1) / chunks)) }
        } else {
            run(0..<pairs)
        }
    }

    /// One row of scores / weights / their gradients (length T).
    let row: UnsafeMutablePointer<Float>
    let rowGradient: UnsafeMutablePointer<Float>
    /// Keys or values of one head transposed, (hs x T).
    let transposed: UnsafeMutablePointer<Float>
    /// One head-width vector.
    let vector: UnsafeMutablePointer<Float>
    /// The working memory of RLHFKernels' attention lanes.
    let wide: UnsafeMutablePointer<Float>

    init(length: Int, headWidth: Int) {
        row = .allocate(capacity: Swift.max(length, 1))
        rowGradient = .allocate(capacity: Swift.max(length, 1))
        transposed = .allocate(capacity: Swift.max(length * headWidth, 1))
        vector = .allocate(capacity: Swift.max(headWidth, 1))
        wide = .allocate(capacity: rlhf_attention_scratch(length, headWidth))
    }

    func deallocate() {
        row.deallocate()
        rowGradient.deallocate()
        transposed.deallocate()
        vector.deallocate()
        wide.deallocate()
    }
}

/// The per-head loops of causal attention, shared by the batched op and the inference
/// path (see the order of every sum above).
enum AttentionKernels {
    /// y[t] = y[t] + a * x[t] for t < n: one multiply and one add per element, so each
    /// element's sum advances by exactly one term. Eight lanes at a time, then four, then one.
    @inline(__always)
    static func addScaled(_ y: UnsafeMutablePointer<Float>, _ a: Float, _ x: UnsafePointer<Float>, _ n: Int) {
        var t = 0
        while t + 8 <= n {
            let sum = UnsafeRawPointer(y + t).loadUnaligned(as: SIMD8<Float>.self)
                + a * UnsafeRawPointer(x + t).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + t).storeBytes(of: sum, as: SIMD8<Float>.self)
            t += 8
        }
        while t + 4 <= n {
            let sum = UnsafeRawPointer(y + t).loadUnaligned(as: SIMD4<Float>.self)
                + a * UnsafeRawPointer(x + t).loadUnaligned(as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(y + t).storeBytes(of: sum, as: SIMD4<Float>.self)
            t += 4
        }
        while t < n {
            y[t] += a * x[t]
            t += 1
        }
    }

    /// Copies rows 0..<n of a (n x hs) strided matrix into `target` transposed: target[d * ld + j].
    @inline(__always)
    static func transpose(_ rows: UnsafePointer<Float>, stride: Int, count n: Int, headWidth: Int,
                          into target: UnsafeMutablePointer<Float>, leading ld: Int) {
        for j in 0..<n {
            let source = rows + j * stride
            for d in 0..<headWidth { target[d * ld + j] = source[d] }
        }
    }

    /// Scores s[j] = (sum_d q[d] kT[d, j]) * scale for j < n, then the softmax over them,
    /// in place in `row`. kT is the keys transposed, with leading dimension ld.
    @inline(__always)
    static func attentionWeights(query: UnsafePointer<Float>, keysTransposed: UnsafePointer<Float>, leading ld: Int,
                                 count n: Int, headWidth: Int, scale: Float, row: UnsafeMutablePointer<Float>) {
        row.update(repeating: 0, count: n)
        for d in 0..<headWidth { addScaled(row, query[d], keysTransposed + d * ld, n) }
        for j in 0..<n { row[j] = row[j] * scale }
        Tensor.softmaxRow(row, row, width: n)
    }

    /// One head of one sequence: output rows i < length (stride `outputStride`), and the
    /// weights (length x length, row i written for j <= i only) when `weights` is given.
    static func forwardHead(
        queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, stride: Int,
        length: Int, headWidth: Int, scale: Float,
        output: UnsafeMutablePointer<Float>, outputStride: Int,
        weights: UnsafeMutablePointer<Float>?, scratch: AttentionScratch
    ) {
        transpose(keys, stride: stride, count: length, headWidth: headWidth, into: scratch.transposed, leading: length)
        for i in 0..<length {
            let count = i + 1
            attentionWeights(query: queries + i * stride, keysTransposed: scratch.transposed, leading: length,
                             count: count, headWidth: headWidth, scale: scale, row: scratch.row)
            let out = output + i * outputStride
            out.update(repeating: 0, count: headWidth)
            for j in 0..<count { addScaled(out, scratch.row[j], values + j * stride, headWidth) }
            weights?.advanced(by: i * length).update(from: scratch.row, count: count)
        }
    }

    /// Gradients of one head of one sequence, added into dQueries, dKeys, dValues (which
    /// must hold +0 where this head writes).
    static func backwardHead(
        queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, stride: Int,
        weights: UnsafePointer<Float>, upstream: UnsafePointer<Float>, upstreamStride: Int,
        dQueries: UnsafeMutablePointer<Float>, dKeys: UnsafeMutablePointer<Float>,
        dValues: UnsafeMutablePointer<Float>,
        length: Int, headWidth: Int, scale: Float, scratch: AttentionScratch
    ) {
        let valuesTransposed = scratch.transposed
        transpose(values, stride: stride, count: length, headWidth: headWidth, into: valuesTransposed, leading: length)
        let dWeights = scratch.rowGradient
        for i in 0..<length {
            let count = i + 1
            let g = upstream + i * upstreamStride
            let w = weights + i * length
            // dw[j] = sum_d g[d] v[j, d]
            dWeights.update(repeating: 0, count: count)
            for d in 0..<headWidth { addScaled(dWeights, g[d], valuesTransposed + d * length, count) }
            // Softmax backward, then the scale.
            var dot: Float = 0
            for j in 0..<count { dot += dWeights[j] * w[j] }
            for j in 0..<count { dWeights[j] = (w[j] * (dWeights[j] - dot)) * scale }
            // dq[i] = sum_j ds[j] k[j]; dk[j] += q[i] ds[j]; dv[j] += w[j] g.
            let dq = scratch.vector
            dq.update(repeating: 0, count: headWidth)
            let q = queries + i * stride
            for j in 0..<count {
                addScaled(dq, dWeights[j], keys + j * stride, headWidth)
                addScaled(dKeys + j * stride, dWeights[j], q, headWidth)
                addScaled(dValues + j * stride, w[j], g, headWidth)
            }
            let target = dQueries + i * stride
            for d in 0..<headWidth { target[d] += dq[d] }
        }
    }
}
