/// One head of causal attention for tests (which see only the public API): `AttentionKernels.head` then
/// `AttentionKernels.headGradients`, as `causalSelfAttention` runs each (sequence, head) pair.
public enum AttentionCheck {
    /// The gradients (dq, dk, dv side by side, rows of 3 x headWidth) of one head of one sequence of `length`
    /// rows of `values` (q, k, v side by side) for `upstream` = dL/d(output) (rows of headWidth), by `kernel`,
    /// written into a buffer that starts as `initial` in every value: with NaN, any value the backward reads
    /// before writing it, or leaves unwritten, shows.
    public static func headGradients(_ values: [Float], upstream: [Float], length: Int, headWidth: Int,
                                     kernel: MatrixKernel, initial: Float) -> [Float] {
        precondition(length > 0 && headWidth > 0 && values.count == length * 3 * headWidth
                     && upstream.count == length * headWidth, "headGradients: sizes")
        let scale = 1 / Float(headWidth).squareRoot()
        var output = [Float](repeating: .nan, count: length * headWidth)
        var weights = [Float](repeating: .nan, count: length * length)
        var gradients = [Float](repeating: initial, count: values.count)
        let scratch = AttentionScratch(length: length, headWidth: headWidth)
        defer { scratch.deallocate() }
        values.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                weights.withUnsafeMutableBufferPointer { kept in
                    AttentionKernels.head(queries: input.baseAddress!, width: headWidth, length: length,
                                          headWidth: headWidth, scale: scale, output: out.baseAddress!,
                                          outputStride: headWidth, weights: kept.baseAddress!, scratch: scratch,
                                          kernel: kernel)
                }
            }
            upstream.withUnsafeBufferPointer { g in
                weights.withUnsafeBufferPointer { kept in
                    gradients.withUnsafeMutableBufferPointer { d in
                        AttentionKernels.headGradients(queries: input.baseAddress!, width: headWidth,
                                                       weights: kept.baseAddress!, upstream: g.baseAddress!,
                                                       upstreamStride: headWidth, gradients: d.baseAddress!,
                                                       length: length, headWidth: headWidth, scale: scale,
                                                       scratch: scratch, kernel: kernel)
                    }
                }
            }
        }
        return gradients
    }
}
