import Testing
import RLHFEngine

/// The decoder's attention from one new position over a key/value cache, in every kernel this processor
/// runs (`rlhf_cached_attention`'s AVX2 and AVX-512 lanes) and in the Swift head (`CachedAttention.head`,
/// what the portable and NEON kernels run), against the last row of the portable batched attention, bit
/// for bit: every count 1 ... 40 (whole and partial blocks of 8 and 16 positions, one and two score blocks
/// side by side) and head widths reaching every output group (16, 12, 8, 4, 1 wide), from NaN-filled
/// scores and outputs, with NaN keys and values past the count (read by none, or read and ignored).
@Suite("Cached attention of every kernel and the Swift head equals the batched attention's last row")
struct CachedAttentionTests {
    @Test("counts 1 ... 40, two heads", arguments: [1, 3, 4, 8, 12, 16, 20, 24, 28, 32, 48, 64])
    func everyCount(headWidth: Int) {
        var random = SplitMix64(seed: 1700 + UInt64(headWidth))
        let heads = 2
        let width = heads * headWidth
        for count in 1...40 {
            let input = random.floats(count * 3 * width, -2, 2)
            let batched = Tensor(shape: [1, count, 3 * width], data: input)
                .causalSelfAttention(heads: heads, kernel: .portable)
            let expected = bitPatterns(Array(batched.data[((count - 1) * width)...]))
            var ran = 0
            for kernel in [nil] + MatrixKernel.available.map(Optional.some) {
                guard let output = DecodeCheck.cachedAttention(input, count: count, heads: heads,
                                                               headWidth: headWidth, kernel: kernel, garbage: .nan)
                else { continue }
                ran += 1
                #expect(bitPatterns(output) == expected,
                        "\(kernel.map(\.description) ?? "Swift head"), count \(count), head width \(headWidth)")
            }
            // The Swift head and every kernel with attention lanes (AVX2, AVX-512; NEON runs the Swift head).
            let laneKernels = MatrixKernel.available.filter { [.avx2, .avx512].contains($0) }
            #expect(ran == laneKernels.count + 1, "count \(count)")
        }
    }

    @Test("scores spread so far that exp leaves its main range")
    func wideScores() {
        var random = SplitMix64(seed: 1750)
        for (count, headWidth) in [(7, 12), (16, 16), (17, 20), (33, 48)] {
            let width = 2 * headWidth
            let input = random.floats(count * 3 * width, -30, 30)
            let batched = Tensor(shape: [1, count, 3 * width], data: input)
                .causalSelfAttention(heads: 2, kernel: .portable)
            let expected = bitPatterns(Array(batched.data[((count - 1) * width)...]))
            for kernel in [nil] + MatrixKernel.available.map(Optional.some) {
                guard let output = DecodeCheck.cachedAttention(input, count: count, heads: 2, headWidth: headWidth,
                                                               kernel: kernel, garbage: 1e30) else { continue }
                #expect(bitPatterns(output) == expected,
                        "\(kernel.map(\.description) ?? "Swift head"), count \(count), head width \(headWidth)")
            }
        }
    }
}
