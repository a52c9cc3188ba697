/// One head's attention from one new position over a key/value cache: the arithmetic of
/// `AttentionKernels.attentionWeights` and the value sum of `AttentionKernels.forwardHead`, element for
/// element in the same order, with the work per token laid out for the decoder.
///
/// For positions j < n (n = the positions so far), head width hs, scale 1/sqrt(hs):
///   s_j = (0 + q_0 k_0j + q_1 k_1j + ... + q_(hs-1) k_(hs-1)j) * scale
///   w_j = e^(s_j - max s) / (e^(s_0 - max s) + e^(s_1 - max s) + ... ), the total summed in j order
///   out_d = 0 + w_0 v_0d + w_1 v_1d + ... + w_(n-1) v_(n-1)d
/// What differs from the plain kernels is only where the values live while they are summed: each
/// block of eight scores (and of eight outputs) stays in a register across its whole sum instead of
/// being stored and reloaded per term, two such sums run side by side where there are two, the divisions
/// by the total run eight lanes at a time, and the exponentials run eight at a time over the last, partial
/// block too (`FastPortableMath.exp`'s lanes are the scalar function's bits; the lanes past n hold
/// max s, give e^0 = 1 and are never read). Every kept element is the same IEEE operations on
/// the same operands in the same order, so the same bits.
enum CachedAttention {
    /// Scores can be read in blocks of this many positions: the key cache's leading dimension and
    /// the score row are rounded up to it.
    static let block = 8

    /// `count` rounded up to a multiple of `block`.
    static func rounded(_ count: Int) -> Int { (count + block - 1) / block * block }

    /// out (hs values) = attention of `query` over the first `count` positions.
    /// - Parameters:
    ///   - keysTransposed: this head's keys, [d][position], rows `leading` floats apart; readable up to
    ///     `rounded(count)` positions (what lies past `count` is read and ignored).
    ///   - values: this head's values of position 0; position j at `values + j * valueStride`.
    ///   - scores: scratch for `rounded(count)` floats.
    @inline(__always)
    static func head(query: UnsafePointer<Float>, keysTransposed: UnsafePointer<Float>, leading: Int,
                     values: UnsafePointer<Float>, valueStride: Int, count: Int, headWidth: Int, scale: Float,
                     scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let blocks = (count + block - 1) / block
        // s_j = (0 + q_0 k_0j + ...) * scale, eight positions at a time, two blocks side by side.
        var first = 0
        while first + 2 * block <= blocks * block {
            var (sum, next) = (SIMD8<Float>(repeating: 0), SIMD8<Float>(repeating: 0))
            for d in 0..<headWidth {
                let row = keysTransposed + d * leading + first
                sum = sum + query[d] * load(row)
                next = next + query[d] * load(row + block)
            }
            store(sum * scale, scores + first)
            store(next * scale, scores + first + block)
            first += 2 * block
        }
        if first < blocks * block {
            var sum = SIMD8<Float>(repeating: 0)
            for d in 0..<headWidth { sum = sum + query[d] * load(keysTransposed + d * leading + first) }
            store(sum * scale, scores + first)
        }
        // Softmax: the largest of the real scores, then e^(s - largest) in blocks, summed in order.
        var largest = -Float.infinity
        for j in 0..<count { largest = Swift.max(largest, scores[j]) }
        for j in count..<(blocks * block) { scores[j] = largest }
        for first in stride(from: 0, to: blocks * block, by: block) {
            store(FastPortableMath.exp(load(scores + first) - largest), scores + first)
        }
        var total: Float = 0
        for j in 0..<count { total += scores[j] }
        // w_j / total, eight lanes at a time (each lane one IEEE division; those past n are never read).
        let divisor = SIMD8<Float>(repeating: total)
        for first in stride(from: 0, to: blocks * block, by: block) {
            store(load(scores + first) / divisor, scores + first)
        }
        // out_d = 0 + w_0 v_0d + w_1 v_1d + ..., sixteen, eight (with a last four), four, then one outputs at
        // a time: independent sums side by side, each over j in order.
        var d = 0
        while d + 16 <= headWidth {
            var (sum, next) = (SIMD8<Float>(repeating: 0), SIMD8<Float>(repeating: 0))
            for j in 0..<count {
                let row = values + j * valueStride + d
                sum = sum + scores[j] * load(row)
                next = next + scores[j] * load(row + 8)
            }
            store(sum, output + d)
            store(next, output + d + 8)
            d += 16
        }
        if d + 12 == headWidth {
            var (sum, rest) = (SIMD8<Float>(repeating: 0), SIMD4<Float>(repeating: 0))
            for j in 0..<count {
                let row = values + j * valueStride + d
                sum = sum + scores[j] * load(row)
                rest = rest + scores[j] * UnsafeRawPointer(row + 8).loadUnaligned(as: SIMD4<Float>.self)
            }
            store(sum, output + d)
            UnsafeMutableRawPointer(output + d + 8).storeBytes(of: rest, as: SIMD4<Float>.self)
            d += 12
        }
        while d + 8 <= headWidth {
            var sum = SIMD8<Float>(repeating: 0)
            for j in 0..<count { sum = sum + scores[j] * load(values + j * valueStride + d) }
            store(sum, output + d)
            d += 8
        }
        while d + 4 <= headWidth {
            var sum = SIMD4<Float>(repeating: 0)
            for j in 0..<count {
                let value = UnsafeRawPointer(values + j * valueStride + d).loadUnaligned(as: SIMD4<Float>.self)
                sum = sum + scores[j] * value
            }
            UnsafeMutableRawPointer(output + d).storeBytes(of: sum, as: SIMD4<Float>.self)
            d += 4
        }
        while d < headWidth {
            var sum: Float = 0
            for j in 0..<count { sum = sum + scores[j] * values[j * valueStride + d] }
            output[d] = sum
            d += 1
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ values: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: values, as: SIMD8<Float>.self)
    }
}
