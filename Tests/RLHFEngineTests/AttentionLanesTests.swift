import Testing
import RLHFEngine

/// The attention op by every kernel this processor can run (AVX2 and AVX-512 have their own lanes;
/// portable and NEON run the engine's Swift loops) against the portable kernel, bit for bit: outputs,
/// and the input gradients of a backward pass, on every length 1 ... 33 and head widths that are not
/// multiples of 8 (so every lane mask and partial vector is reached).
@Suite("Attention lanes give the portable kernel's bits")
struct AttentionLanesTests {
    /// Outputs and input gradients of (B, T, 3C) -> (B, T, C) attention by `kernel`, as bit patterns.
    static func attention(_ values: [Float], _ upstream: [Float], batch: Int, length: Int, heads: Int,
                          headWidth: Int, kernel: MatrixKernel) -> (output: [UInt32], gradient: [UInt32]) {
        let width = heads * headWidth
        let input = Tensor(shape: [batch, length, 3 * width], data: values, requiresGrad: true)
        let output = input.causalSelfAttention(heads: heads, kernel: kernel)
        (output * Tensor(shape: [batch, length, width], data: upstream)).sum().backward()
        return (bitPatterns(output.data), bitPatterns(input.grad!))
    }

    static func expectEveryKernelAgrees(batch: Int, length: Int, heads: Int, headWidth: Int, range: Float,
                                        random: inout SplitMix64) {
        let width = heads * headWidth
        let values = random.floats(batch * length * 3 * width, -range, range)
        let upstream = random.floats(batch * length * width, -1, 1)
        let reference = attention(values, upstream, batch: batch, length: length, heads: heads,
                                  headWidth: headWidth, kernel: .portable)
        for kernel in MatrixKernel.available where kernel != .portable {
            let result = attention(values, upstream, batch: batch, length: length, heads: heads,
                                   headWidth: headWidth, kernel: kernel)
            let shape = "\(kernel) B \(batch) T \(length) heads \(heads) x \(headWidth)"
            #expect(result.output == reference.output, "output, \(shape)")
            #expect(result.gradient == reference.gradient, "gradient, \(shape)")
        }
    }

    @Test("every length 1 ... 33, head widths 1, 3, 5, 12, 13, 17", arguments: [1, 3, 5, 12, 13, 17])
    func everyLength(headWidth: Int) {
        var random = SplitMix64(seed: 930 + UInt64(headWidth))
        for length in 1...33 {
            AttentionLanesTests.expectEveryKernelAgrees(batch: 2, length: length, heads: 2, headWidth: headWidth,
                                                        range: 2, random: &random)
        }
    }

    @Test("scores spread so far that exp leaves its main range (the lanes' scalar fallback)")
    func wideScores() {
        var random = SplitMix64(seed: 937)
        for length in [7, 16, 17, 31] {
            AttentionLanesTests.expectEveryKernelAgrees(batch: 1, length: length, heads: 2, headWidth: 12,
                                                        range: 60, random: &random)
        }
    }

    @Test("the default model's shapes, split between the two threads")
    func updateShapes() {
        var random = SplitMix64(seed: 938)
        for (batch, length) in [(8, 24), (16, 32), (3, 9)] {
            AttentionLanesTests.expectEveryKernelAgrees(batch: batch, length: length, heads: 4, headWidth: 12,
                                                        range: 2, random: &random)
        }
    }

    @Test("without a graph (inference) the lanes give the same outputs")
    func withoutRecording() {
        var random = SplitMix64(seed: 939)
        let (batch, length, heads, headWidth) = (2, 19, 3, 7)
        let values = random.floats(batch * length * 3 * heads * headWidth, -2, 2)
        let input = Tensor(shape: [batch, length, 3 * heads * headWidth], data: values)
        let reference = bitPatterns(input.causalSelfAttention(heads: heads, kernel: .portable).data)
        for kernel in MatrixKernel.available {
            let output = GradientMode.withoutRecording { input.causalSelfAttention(heads: heads, kernel: kernel) }
            #expect(bitPatterns(output.data) == reference, "\(kernel)")
        }
    }

    @Test("the input gradients are written whole: from NaN-filled buffers, the bits of the loops onto zeros")
    func gradientsFromNaN() {
        var random = SplitMix64(seed: 940)
        for headWidth in [1, 5, 12, 17] {
            for length in [1, 2, 3, 4, 5, 8, 9, 16, 17, 31, 33] {
                let values = random.floats(length * 3 * headWidth, -2, 2)
                var upstream = random.floats(length * headWidth, -1, 1)
                upstream[0] = -0.0  // a -0 upstream term: each sum from +0 must still start at +0
                let reference = AttentionCheck.headGradients(values, upstream: upstream, length: length,
                                                             headWidth: headWidth, kernel: .portable, initial: 0)
                for kernel in MatrixKernel.available {
                    let gradients = AttentionCheck.headGradients(values, upstream: upstream, length: length,
                                                                 headWidth: headWidth, kernel: kernel, initial: .nan)
                    #expect(bitPatterns(gradients) == bitPatterns(reference), "\(kernel) T \(length) hs \(headWidth)")
                }
            }
        }
    }
}
