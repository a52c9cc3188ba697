import Testing
import RLHFEngine

/// `rlhf_cached_attention_grouped` (the heads four at a time side by side, what the decoder runs) against
/// `rlhf_cached_attention` (one head at a time) and the Swift head, bit for bit: one to six heads (a whole group,
/// a partial one, a group and a part), every count 1 ... 40, head widths reaching every output group, from
/// NaN-filled scores and outputs, with NaN keys and values past the count.
@Suite("Cached attention with the heads side by side equals one head at a time")
struct GroupedAttentionTests {
    @Test("one to six heads, counts 1 ... 40", arguments: [1, 4, 8, 12, 16, 20, 48])
    func everyCount(headWidth: Int) {
        var random = SplitMix64(seed: 1800 + UInt64(headWidth))
        for heads in 1...6 {
            let width = heads * headWidth
            for count in 1...40 {
                let input = random.floats(count * 3 * width, -2, 2)
                let expected = DecodeCheck.cachedAttention(input, count: count, heads: heads, headWidth: headWidth,
                                                           kernel: nil, garbage: .nan).map(bitPatterns)
                for kernel in MatrixKernel.available where [.avx2, .avx512].contains(kernel) {
                    let plain = DecodeCheck.cachedAttention(input, count: count, heads: heads, headWidth: headWidth,
                                                            kernel: kernel, garbage: .nan)
                    let grouped = DecodeCheck.cachedAttention(input, count: count, heads: heads,
                                                              headWidth: headWidth, kernel: kernel, garbage: .nan,
                                                              grouped: true)
                    #expect(grouped != nil && grouped.map(bitPatterns) == plain.map(bitPatterns)
                            && grouped.map(bitPatterns) == expected,
                            "\(kernel), heads \(heads), count \(count), head width \(headWidth)")
                }
            }
        }
    }

    @Test("scores spread so far that exp leaves its main range, three and five heads")
    func wideScores() {
        var random = SplitMix64(seed: 1850)
        for (heads, count, headWidth) in [(3, 7, 12), (5, 17, 20), (3, 33, 48)] {
            let width = heads * headWidth
            let input = random.floats(count * 3 * width, -2, 2).map { $0 * 40 }
            let expected = DecodeCheck.cachedAttention(input, count: count, heads: heads, headWidth: headWidth,
                                                       kernel: nil, garbage: .nan).map(bitPatterns)
            for kernel in MatrixKernel.available where [.avx2, .avx512].contains(kernel) {
                let grouped = DecodeCheck.cachedAttention(input, count: count, heads: heads, headWidth: headWidth,
                                                          kernel: kernel, garbage: .nan, grouped: true)
                #expect(grouped != nil && grouped.map(bitPatterns) == expected,
                        "\(kernel), heads \(heads), count \(count), head width \(headWidth)")
            }
        }
    }
}
