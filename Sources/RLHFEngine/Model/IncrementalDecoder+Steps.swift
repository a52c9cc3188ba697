import RLHFKernels

/// The steps of `IncrementalDecoder`'s blocks over the new positions: layer norms, products (+ bias),
/// the residual adds and attention over the key/value cache.
extension IncrementalDecoder {
    func layerNorm(_ norm: NormCopy, rows: Int, input: UnsafePointer<Float>,
                   output: UnsafeMutablePointer<Float>) {
        Tensor.layerNormRows(input, rows: rows, width: width, epsilon: norm.epsilon, gamma: norm.gamma,
                             beta: norm.beta, output: output, normalised: nil, inverseDeviations: nil)
    }

    /// output = input W, then + b (two roundings, as matmul then the broadcast add). Input rows are
    /// `inputStride` apart, output rows `outputStride` (at least the weights' stride); `bias` is the copy of
    /// the layer's.
    func affine(_ weights: ProductWeights, bias b: UnsafePointer<Float>, rows: Int,
                input: UnsafePointer<Float>, inputWidth: Int, inputStride: Int, outputWidth: Int,
                output: UnsafeMutablePointer<Float>, outputStride: Int) {
        product(input: input, inputStride: inputStride, weights: weights.pointer, weightStride: weights.stride,
                columns: outputWidth, depth: inputWidth, rows: rows, output: output, outputStride: outputStride)
        for row in 0..<rows {
            let target = output + row * outputStride
            for column in 0..<outputWidth { target[column] = target[column] + b[column] }
        }
    }

    /// output (rows x weightStride) = input W, W (depth x weightStride) with rows `weightStride` apart, of which
    /// the first `columns` are the layer's (the rest zero padding, never read): one row in `rlhf_row_columns`
    /// over the real columns rounded up to 16 only (split across the threads as `splitsRows` says), else
    /// `FastMatrixKernels.blocked` over every column. Both sum each element from +0 over d in order, so each
    /// real column has the same bits either way.
    func product(input: UnsafePointer<Float>, inputStride: Int, weights: UnsafePointer<Float>, weightStride: Int,
                 columns: Int, depth: Int, rows: Int, output: UnsafeMutablePointer<Float>, outputStride: Int) {
        if rows == 1, let rowKernel {
            let split = splitsRows && depth * weightStride >= smallestSplitProduct
            let rowColumns = Swift.min((columns + 15) / 16 * 16, weightStride)
            if rlhf_row_columns(rowKernel.rawValue, input, weights, weightStride, output, rowColumns, depth,
                                split ? 1 : 0) != 0 {
                return
            }
        }
        FastMatrixKernels.blocked(a: input, aRowStride: inputStride, aDepthStride: 1, b: weights,
                                  ldb: weightStride, c: output, ldc: outputStride, rows: rows, columns: weightStride,
                                  depth: depth, mode: .overwrite)
    }

    /// residual = residual + addend, row by row (addend rows `projectedStride` apart).
    func addRows(_ addend: UnsafePointer<Float>, rows: Int) {
        let c = width
        for row in 0..<rows {
            let (target, source) = (residual + row * c, addend + row * projectedStride)
            for index in 0..<c { target[index] = target[index] + source[index] }
        }
    }

    /// Stores the new positions' keys and values, then attends from each of them (`CachedAttention`).
    func attend(layer: Int, start: Int, rows: Int) {
        let (c, hs, leading) = (width, headWidth, keyLeading)
        let keyCache = keys[layer], valueCache = values[layer]
        let scale = 1 / Float(hs).squareRoot()
        for row in 0..<rows {
            let position = start + row
            let source = fused + row * fusedStride
            for h in 0..<heads {
                for d in 0..<hs { keyCache[(h * hs + d) * leading + position] = source[c + h * hs + d] }
            }
            (valueCache + position * c).update(from: source + 2 * c, count: c)
        }
        for row in 0..<rows {
            // Every head in `rlhf_cached_attention_grouped`'s lanes where the processor has them, four heads
            // side by side with a row of `scores` each (the same bits as one head at a time).
            if let rowKernel, rlhf_cached_attention_grouped(
                rowKernel.rawValue, fused + row * fusedStride, keyCache, leading, valueCache, c, start + row + 1,
                heads, hs, scale, scores, mixed + row * c) != 0 {
                continue
            }
            for h in 0..<heads {
                CachedAttention.head(
                    query: fused + row * fusedStride + h * hs, keysTransposed: keyCache + h * hs * leading,
                    leading: leading, values: valueCache + h * hs, valueStride: c, count: start + row + 1,
                    headWidth: hs, scale: scale, scores: scores, output: mixed + row * c + h * hs)
            }
        }
    }
}
