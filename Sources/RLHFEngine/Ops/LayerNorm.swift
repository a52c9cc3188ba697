/// Layer normalisation over the last dimension, as in GPT-2 (eps 1e-5).
///
/// For one row x of width C: mu = mean(x), var = mean((x - mu)^2) (biased, as PyTorch),
/// xhat = (x - mu) / sqrt(var + eps), y = gamma * xhat + beta.
/// Backward, with g the upstream gradient and s = 1/sqrt(var + eps):
///   dgamma = sum over rows of g * xhat,  dbeta = sum over rows of g,
///   dx = s * (gx - mean(gx) - xhat * mean(gx * xhat)),  gx = g * gamma.
/// Every sum runs over the columns (or, for dgamma and dbeta, the rows) in order, in Float.
extension Tensor {
    public func layerNorm(weight gamma: Tensor, bias beta: Tensor, epsilon: Float = 1e-5) -> Tensor {
        let width = shape.last!
        precondition(gamma.shape == [width] && beta.shape == [width],
                     "layerNorm: weight \(gamma.shape) and bias \(beta.shape) for width \(width)")
        let rows = count / width
        var output = [Float](repeating: 0, count: count)
        var normalised = [Float](repeating: 0, count: count)
        var inverseDeviation = [Float](repeating: 0, count: rows)
        data.withUnsafeBufferPointer { x in
            gamma.data.withUnsafeBufferPointer { gammaValues in
                beta.data.withUnsafeBufferPointer { betaValues in
                    output.withUnsafeMutableBufferPointer { y in
                        normalised.withUnsafeMutableBufferPointer { xhatValues in
                            inverseDeviation.withUnsafeMutableBufferPointer { deviations in
                                for row in 0..<rows {
                                    deviations[row] = Tensor.layerNormRow(
                                        x.baseAddress! + row * width, width: width, epsilon: epsilon,
                                        gamma: gammaValues.baseAddress!, beta: betaValues.baseAddress!,
                                        output: y.baseAddress! + row * width,
                                        normalised: xhatValues.baseAddress! + row * width)
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, data: output, parents: [self, gamma, beta]) { result in
            var inputGradient = [Float](repeating: 0, count: self.count)
            var gammaGradient = [Float](repeating: 0, count: width)
            var betaGradient = [Float](repeating: 0, count: width)
            result.grad!.withUnsafeBufferPointer { upstream in
                normalised.withUnsafeBufferPointer { xhatValues in
                    gamma.data.withUnsafeBufferPointer { gammaValues in
                        inputGradient.withUnsafeMutableBufferPointer { dx in
                            gammaGradient.withUnsafeMutableBufferPointer { dGamma in
                                betaGradient.withUnsafeMutableBufferPointer { dBeta in
                                    for row in 0..<rows {
                                        let base = row * width
                                        var meanGx: Float = 0, meanGxXhat: Float = 0
                                        for column in 0..<width {
                                            let g = upstream[base + column]
                                            let xhat = xhatValues[base + column]
                                            dGamma[column] += g * xhat
                                            dBeta[column] += g
                                            let gx = g * gammaValues[column]
                                            meanGx += gx
                                            meanGxXhat += gx * xhat
                                        }
                                        meanGx /= Float(width)
                                        meanGxXhat /= Float(width)
                                        let scale = inverseDeviation[row]
                                        for column in 0..<width {
                                            let gx = upstream[base + column] * gammaValues[column]
                                            dx[base + column] =
                                                scale * (gx - meanGx - xhatValues[base + column] * meanGxXhat)
                                        }
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
        for column in 0..<width {
            let xhat = (x[column] - mean) * scale
            normalised?[column] = xhat
            output[column] = xhat * gamma[column] + beta[column]
        }
        return scale
    }
}
