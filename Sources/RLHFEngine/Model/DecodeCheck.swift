import RLHFKernels

/// Front ends of generation's fast paths for tests (which see only the public API): the one-row
/// product and the cached attention of each kernel, decoders and generators that split every one-row
/// product, and the sampler's buffer path.
public enum DecodeCheck {
    /// c (1 x columns) = a (1 x depth) B (depth x columns) by `rlhf_row_product` in `kernel`'s lanes, on
    /// one thread or split between the two; nil where the kernel cannot run it (portable, unavailable,
    /// columns not a multiple of 32).
    public static func rowProduct(_ a: [Float], _ b: [Float], depth: Int, columns: Int, kernel: MatrixKernel,
                                  split: Bool) -> [Float]? {
        precondition(a.count == depth && b.count == depth * columns)
        guard kernel != .portable && kernel.isAvailable && columns % 32 == 0 else { return nil }
        var c = [Float](repeating: .nan, count: columns)
        let done = c.withUnsafeMutableBufferPointer { target in
            rlhf_row_product(kernel.rawValue, a, b, columns, target.baseAddress!, columns, depth, split ? 1 : 0)
        }
        return done != 0 ? c : nil
    }

    /// c (1 x columns) = a (1 x depth) B by `rlhf_row_columns` in `kernel`'s lanes, B the first `columns` of
    /// each `ldb`-float row of `b` (depth rows; the rest of each row, padding, is never read into c), on one
    /// thread or split; nil where the kernel cannot run it (portable, unavailable, columns not a multiple of 16).
    public static func rowColumns(_ a: [Float], _ b: [Float], depth: Int, columns: Int, ldb: Int,
                                  kernel: MatrixKernel, split: Bool) -> [Float]? {
        precondition(a.count == depth && b.count == depth * ldb && columns <= ldb)
        guard kernel != .portable && kernel.isAvailable && columns % 16 == 0 else { return nil }
        // 16 guard floats after c: a kernel that stores past `columns` fails here instead of corrupting memory.
        let guardPattern = Float(bitPattern: 0x7fc0_dead)
        var c = [Float](repeating: .nan, count: columns) + [Float](repeating: guardPattern, count: 16)
        let done = c.withUnsafeMutableBufferPointer { target in
            rlhf_row_columns(kernel.rawValue, a, b, ldb, target.baseAddress!, columns, depth, split ? 1 : 0)
        }
        precondition(c[columns...].allSatisfy { $0.bitPattern == guardPattern.bitPattern },
                     "rlhf_row_columns wrote past its \(columns) columns")
        return done != 0 ? Array(c[..<columns]) : nil
    }

    /// The decoder's attention from the last of `count` positions. `input` holds the (count, 3C) rows q, k, v
    /// of `causalSelfAttention`'s input (C = heads x headWidth); their keys and values are laid out as in
    /// `IncrementalDecoder` (keys transposed per head, rows `CachedAttention.rounded(count)` apart), every
    /// key and value of a position past `count` is `garbage`, and the scores (count rounded up to 16) and
    /// the output start as NaN. `kernel` nil runs `CachedAttention.head` per head, otherwise
    /// `rlhf_cached_attention` in its lanes; nil where that kernel has none here (portable, unavailable).
    /// With `grouped`, `rlhf_cached_attention_grouped` instead (the heads four at a time side by side, a row
    /// of scores each, all NaN at the start).
    public static func cachedAttention(_ input: [Float], count: Int, heads: Int, headWidth: Int,
                                       kernel: MatrixKernel?, garbage: Float, grouped: Bool = false) -> [Float]? {
        let c = heads * headWidth
        precondition(count > 0 && input.count == count * 3 * c)
        if let kernel, kernel == .portable || !kernel.isAvailable { return nil }
        let leading = CachedAttention.rounded(count)
        var keys = [Float](repeating: garbage, count: leading * c)
        var values = [Float](repeating: garbage, count: leading * c)
        for position in 0..<count {
            let row = position * 3 * c
            for index in 0..<c {
                keys[index * leading + position] = input[row + c + index]  // [h][d] = h headWidth + d
                values[position * c + index] = input[row + 2 * c + index]
            }
        }
        let query = Array(input[((count - 1) * 3 * c)..<((count - 1) * 3 * c + c)])
        var scores = [Float](repeating: .nan, count: (grouped ? heads : 1) * ((count + 15) / 16 * 16))
        var output = [Float](repeating: .nan, count: c)
        let scale = 1 / Float(headWidth).squareRoot()
        let done = query.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    scores.withUnsafeMutableBufferPointer { s in
                        output.withUnsafeMutableBufferPointer { o in
                            let (q, k, v, s, o) = (q.baseAddress!, k.baseAddress!, v.baseAddress!, s.baseAddress!,
                                                   o.baseAddress!)
                            guard let kernel else {
                                for h in 0..<heads {
                                    CachedAttention.head(
                                        query: q + h * headWidth, keysTransposed: k + h * headWidth * leading,
                                        leading: leading, values: v + h * headWidth, valueStride: c, count: count,
                                        headWidth: headWidth, scale: scale, scores: s, output: o + h * headWidth)
                                }
                                return Int32(1)
                            }
                            if grouped {
                                return rlhf_cached_attention_grouped(kernel.rawValue, q, k, leading, v, c, count,
                                                                     heads, headWidth, scale, s, o)
                            }
                            return rlhf_cached_attention(kernel.rawValue, q, k, leading, v, c, count, heads,
                                                         headWidth, scale, s, o)
                        }
                    }
                }
            }
        }
        return done != 0 ? output : nil
    }

    /// A decoder of `model` that splits every one-row product of 32 real columns or more across the two threads,
    /// with `kernel`'s row products and attention lanes (portable: `FastMatrixKernels` and the Swift head).
    public static func splittingDecoder(_ model: GPT2, kernel: MatrixKernel = .selected) -> IncrementalDecoder {
        IncrementalDecoder(model: model, splitWeightBytes: 0, splitProductWeights: 0, kernel: kernel)
    }

    /// A generator of `model` sampling through `splittingDecoder(model, kernel:)`.
    public static func splittingGenerator(_ model: GPT2, kernel: MatrixKernel = .selected) -> Generator {
        Generator(decoder: splittingDecoder(model, kernel: kernel))
    }

    /// A decoder of `model` with `kernel`'s row products and attention lanes, split as by default.
    public static func decoder(_ model: GPT2, kernel: MatrixKernel) -> IncrementalDecoder {
        IncrementalDecoder(model: model, splitWeightBytes: IncrementalDecoder.splitWeightBytes, kernel: kernel)
    }

    /// Whether a decoder of `model` splits its one-row products by default.
    public static func splitsByDefault(_ model: GPT2) -> Bool {
        IncrementalDecoder(model: model).splitsRows
    }

    /// `sampler.sample(logits:scratch:random:)`, the path `Generator` takes, on a copy of `logits`.
    public static func sampleFromBuffer(_ sampler: Sampler, logits: [Float], random: inout RandomGenerator) -> Int {
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(logits.count, 1))
        defer { scratch.deallocate() }
        return logits.withUnsafeBufferPointer { sampler.sample(logits: $0, scratch: scratch, random: &random) }
    }
}
