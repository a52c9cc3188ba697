import RLHFKernels

/// Layer normalisation over the last dimension, as in GPT-2 (eps 1e-5).
///
/// For one row x of width C: mu = mean(x), var = mean((x - mu)^2) (biased, as PyTorch),
/// xhat = (x - mu) / sqrt(var + eps), y = gamma * xhat + beta.
/// Backward, with g the upstream gradient and s = 1/sqrt(var + eps):
///   dgamma = sum over rows of g * xhat,  dbeta = sum over rows of g,
///   dx = s * (gx - mean(gx) - xhat * mean(gx * xhat)),  gx = g * gamma.
/// Every sum runs over the columns (or, for dgamma and dbeta, the rows) in order, in Float.
/// `kernel` picks the lanes (RLHFKernels' AVX2 or AVX-512 rows where it has them, else the Swift loops
/// here); every kernel gives the same bits.
extension Tensor {
    public func layerNorm(weight gamma: Tensor, bias beta: Tensor, epsilon: Float = 1e-5,
                          kernel: MatrixKernel = .selected) -> Tensor {
        let width = shape.last!
        precondition(gamma.shape == [width] && beta.shape == [width],
                     "layerNorm: weight \(gamma.shape) and bias \(beta.shape) for width \(width)")
        precondition(width > 0, "layerNorm: a last dimension of width 0")
        let rows = count / width
        // Every value of the three buffers is written below, so they start uninitialised.
        var output = [Float](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
        var normalised = [Float](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
        var inverseDeviation = [Float](unsafeUninitializedCapacity: rows) { _, initialised in initialised = rows }
        data.withUnsafeBufferPointer { x in
            gamma.data.withUnsafeBufferPointer { gammaValues in
                beta.data.withUnsafeBufferPointer { betaValues in
                    output.withUnsafeMutableBufferPointer { y in
                        normalised.withUnsafeMutableBufferPointer { xhatValues in
                            inverseDeviation.withUnsafeMutableBufferPointer { deviations in
                                guard rows > 0 else { return }
                                // Rows on both threads from `ParallelRows.minimumValues` values.
                                ParallelRows.split(rows: rows, width: width) { part, _ in
                                    let first = part.lowerBound * width
                                    Tensor.layerNormRows(
                                        x.baseAddress! + first, rows: part.count, width: width, epsilon: epsilon,
                                        gamma: gammaValues.baseAddress!, beta: betaValues.baseAddress!,
                                        output: y.baseAddress! + first, normalised: xhatValues.baseAddress! + first,
                                        inverseDeviations: deviations.baseAddress! + part.lowerBound, kernel: kernel)
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, data: output, parents: [self, gamma, beta]) { result in
            // dx is written whole, row by row; dgamma and dbeta are sums from 0.
            let count = self.count
            var inputGradient = [Float](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
            var gammaGradient = [Float](repeating: 0, count: width)
            var betaGradient = [Float](repeating: 0, count: width)
            result.grad!.withUnsafeBufferPointer { upstream in
                normalised.withUnsafeBufferPointer { xhatValues in
                    gamma.data.withUnsafeBufferPointer { gammaValues in
                        inputGradient.withUnsafeMutableBufferPointer { dx in
                            gammaGradient.withUnsafeMutableBufferPointer { dGamma in
                                betaGradient.withUnsafeMutableBufferPointer { dBeta in
                                    guard rows > 0 else { return }
                                    // dx by rows, dgamma and dbeta by columns, on both threads from
                                    // `ParallelRows.minimumValues` values.
                                    ParallelRows.split(rows: rows, width: width) { part, columns in
                                        Tensor.layerNormInputGradient(
                                            upstream.baseAddress!, normalised: xhatValues.baseAddress!,
                                            gamma: gammaValues.baseAddress!, inverseDeviations: inverseDeviation,
                                            rows: part, width: width, dx: dx.baseAddress!, kernel: kernel)
                                        Tensor.layerNormParameterGradients(
                                            upstream.baseAddress!, normalised: xhatValues.baseAddress!, rows: rows,
                                            width: width, columns: columns, dGamma: dGamma.baseAddress!,
                                            dBeta: dBeta.baseAddress!, kernel: kernel)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            self.accumulateGrad(inputGradient)
            gamma.accumulateGrad(gammaGradient)
            beta.accumulateGrad(betaGradient)
        }
    }

    /// dx = s * (gx - mean(gx) - xhat * mean(gx * xhat)) of the rows in `rows`, four rows at a
    /// time: lane r of the two means runs row r's sums in column order (independent chains at once).
    static func layerNormInputGradient(
        _ upstream: UnsafePointer<Float>, normalised: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
        inverseDeviations: [Float], rows: Range<Int>, width: Int, dx: UnsafeMutablePointer<Float>,
        kernel: MatrixKernel = .selected
    ) {
        let first = rows.lowerBound
        if !rows.isEmpty && inverseDeviations.withUnsafeBufferPointer({ deviations in
            rlhf_layer_norm_input_gradient(kernel.rawValue, upstream + first * width, normalised + first * width,
                                           gamma, deviations.baseAddress! + first, rows.count, width,
                                           dx + first * width) != 0
        }) {
            return
        }
        var row = rows.lowerBound
        while row < rows.upperBound {
            let group = Swift.min(4, rows.upperBound - row)
            var meanGx = SIMD4<Float>(), meanGxXhat = SIMD4<Float>()
            if group == 4 {
                let g = upstream + row * width
                let xhat = normalised + row * width
                for column in 0..<width {
                    let gx = Tensor.gather4(g + column, width) * gamma[column]
                    meanGx += gx
                    meanGxXhat += gx * Tensor.gather4(xhat + column, width)
                }
            } else {
                for lane in 0..<group {
                    let g = upstream + (row + lane) * width
                    let xhat = normalised + (row + lane) * width
                    var sumGx: Float = 0, sumGxXhat: Float = 0
                    for column in 0..<width {
                        let gx = g[column] * gamma[column]
                        sumGx += gx
                        sumGxXhat += gx * xhat[column]
                    }
                    (meanGx[lane], meanGxXhat[lane]) = (sumGx, sumGxXhat)
                }
            }
            meanGx /= Float(width)
            meanGxXhat /= Float(width)
            for lane in 0..<group {
                let g = upstream + (row + lane) * width
                let xhat = normalised + (row + lane) * width
                let (mean, meanXhat) = (meanGx[lane], meanGxXhat[lane])
                let scale = inverseDeviations[row + lane]
                let target = dx + (row + lane) * width
                for column in 0..<width {
                    let gx = g[column] * gamma[column]
                    target[column] = scale * (gx - mean - xhat[column] * meanXhat)
                }
            }
            row += group
        }
    }

    /// dgamma = sum over rows of g * xhat and dbeta = sum over rows of g for the columns in
    /// `columns`, added into `dGamma` and `dBeta` (zero to start): each column over the rows in order.
    static func layerNormParameterGradients(
        _ upstream: UnsafePointer<Float>, normalised: UnsafePointer<Float>, rows: Int, width: Int,
        columns: Range<Int>, dGamma: UnsafeMutablePointer<Float>, dBeta: UnsafeMutablePointer<Float>,
        kernel: MatrixKernel = .selected
    ) {
        if rlhf_layer_norm_parameter_gradients(kernel.rawValue, upstream, normalised, rows, width,
                                               columns.lowerBound, columns.upperBound, dGamma, dBeta) != 0 {
            return
        }
        for row in 0..<rows {
            let g = upstream + row * width
            let xhat = normalised + row * width
            for column in columns {
                dGamma[column] += g[column] * xhat[column]
                dBeta[column] += g[column]
            }
        }
    }

    /// `layerNormRow` on `rows` consecutive rows (1/sqrt(var + eps) of each into
    /// `inverseDeviations` when given), four rows at a time: lane r of each `SIMD4` runs row r's
    /// sums in column order with the scalar function's operations, so every row gets its bits.
    static func layerNormRows(
        _ x: UnsafePointer<Float>, rows: Int, width: Int, epsilon: Float,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        normalised: UnsafeMutablePointer<Float>?, inverseDeviations: UnsafeMutablePointer<Float>?,
        kernel: MatrixKernel = .selected
    ) {
        if rlhf_layer_norm(kernel.rawValue, x, rows, width, epsilon, gamma, beta, output, normalised,
                           inverseDeviations) != 0 {
            return
        }
        var row = 0
        while row + 4 <= rows {
            let base = x + row * width
            var total = SIMD4<Float>()
            for column in 0..<width { total += gather4(base + column, width) }
            let mean = total / Float(width)
            var squares = SIMD4<Float>()
            for column in 0..<width {
                let centred = gather4(base + column, width) - mean
                squares += centred * centred
            }
            let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
            for lane in 0..<4 {
                let offset = (row + lane) * width
                normaliseRow(x + offset, width: width, mean: mean[lane], scale: scale[lane], gamma: gamma, beta: beta,
                             output: output + offset, normalised: normalised.map { $0 + offset })
                inverseDeviations?[row + lane] = scale[lane]
            }
            row += 4
        }
        for row in row..<rows {
            let scale = layerNormRow(x + row * width, width: width, epsilon: epsilon, gamma: gamma, beta: beta,
                                     output: output + row * width, normalised: normalised.map { $0 + row * width })
            inverseDeviations?[row] = scale
        }
    }

    /// Four values `stride` apart: the same column of four consecutive rows.
    @inline(__always)
    static func gather4(_ pointer: UnsafePointer<Float>, _ stride: Int) -> SIMD4<Float> {
        SIMD4(pointer[0], pointer[stride], pointer[2 * stride], pointer[3 * stride])
    }

    /// Layer norm of one row of `width` values into `output` (and x-hat into `normalised`
    /// when given); returns 1/sqrt(var + eps). Shared with the inference path, so both
    /// compute the same bits.
    @inline(__always)
    static func layerNormRow(
        _ x: UnsafePointer<Float>, width: Int, epsilon: Float,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, normalised: UnsafeMutablePointer<Float>?
    ) -> Float {
        var total: Float = 0
        for column in 0..<width { total += x[column] }
        let mean = total / Float(width)
        var squares: Float = 0
        for column in 0..<width {
            let centred = x[column] - mean
            squares += centred * centred
        }
        let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
        normaliseRow(x, width: width, mean: mean, scale: scale, gamma: gamma, beta: beta,
                     output: output, normalised: normalised)
        return scale
    }

    /// xhat = (x - mean) * scale into `normalised` when given, and y = xhat * gamma + beta into
    /// `output`: one loop for each case, so that each runs on whole vectors.
    @inline(__always)
    static func normaliseRow(
        _ x: UnsafePointer<Float>, width: Int, mean: Float, scale: Float,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, normalised: UnsafeMutablePointer<Float>?
    ) {
        if let normalised {
            for column in 0..<width {
                let xhat = (x[column] - mean) * scale
                normalised[column] = xhat
                output[column] = xhat * gamma[column] + beta[column]
            }
        } else {
            for column in 0..<width { output[column] = (x[column] - mean) * scale * gamma[column] + beta[column] }
        }
    }
}
