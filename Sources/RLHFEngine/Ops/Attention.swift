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
/// elsewhere the loops of `AttentionKernels` (AttentionKernels.swift) run. The saved weights are the one
/// path's own (the lanes keep them transposed), read back only by the same path's backward.
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
                        AttentionKernels.head(queries: row0, width: width, length: length, headWidth: headWidth,
                                              scale: scale, output: out, outputStride: width, weights: kept,
                                              scratch: scratch, kernel: kernel)
                    }
                }
            }
        }
        let savedWeights = weights
        return Tensor(shape: Array(shape.dropLast()) + [width], data: output, parents: [self]) { result in
            // Each (sequence, head) pair writes its head's columns of its rows of dq, dk and dv (every row once,
            // all pairs together every value), so dInput starts uninitialised.
            self.accumulateGrad(overwritingFrom: result) { upstream, dInput in
                self.data.withUnsafeBufferPointer { input in
                    savedWeights.withUnsafeBufferPointer { saved in
                        AttentionScratch.forEachPair(layout, headWidth: headWidth) { pair, scratch in
                            let (start, length, h) = layout.sequence(of: pair)
                            let offset = start * 3 * width + h * headWidth
                            AttentionKernels.headGradients(
                                queries: input.baseAddress! + offset, width: width,
                                weights: saved.baseAddress! + layout.weightOffsets[pair],
                                upstream: upstream.baseAddress! + start * width + h * headWidth, upstreamStride: width,
                                gradients: dInput.baseAddress! + offset, length: length, headWidth: headWidth,
                                scale: scale, scratch: scratch, kernel: kernel)
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
