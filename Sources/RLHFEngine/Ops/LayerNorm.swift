/// Layer normalisation over the last dimension, as in GPT-2 (eps 1e-5).
///
/// For one row x of width C: mu = mean(x), var = mean((x - mu)^2) (biased, as PyTorch),
/// xhat = (x - mu) / sqrt(var + eps), y = gamma * xhat + beta.
/// Backward, with g the upstream gradient and s = 1/sqrt(var + eps):
///   dgamma = sum over rows of g * xhat,  dbeta = sum over rows of g,
///   dx = s * (gx - mean(gx) - xhat * mean(gx * xhat)),  gx = g * gamma.
extension Tensor {
    public func layerNorm(weight gamma: Tensor, bias beta: Tensor, epsilon: Float = 1e-5) -> Tensor {
        let width = shape.last!
        precondition(gamma.shape == [width] && beta.shape == [width],
                     "layerNorm: weight \(gamma.shape) and bias \(beta.shape) for width \(width)")
        let rows = count / width
        var output = [Float](repeating: 0, count: count)
        var normalised = [Float](repeating: 0, count: count)
        var inverseDeviation = [Float](repeating: 0, count: rows)
        for row in 0..<rows {
            let base = row * width
            var total: Float = 0
            for column in 0..<width { total += data[base + column] }
            let mean = total / Float(width)
            var squares: Float = 0
            for column in 0..<width {
                let centred = data[base + column] - mean
                squares += centred * centred
            }
            let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
            inverseDeviation[row] = scale
            for column in 0..<width {
                let xhat = (data[base + column] - mean) * scale
                normalised[base + column] = xhat
                output[base + column] = xhat * gamma.data[column] + beta.data[column]
            }
        }
        return Tensor(shape: shape, data: output, parents: [self, gamma, beta]) { result in
            let upstream = result.grad!
            var inputGradient = [Float](repeating: 0, count: self.count)
            var gammaGradient = [Float](repeating: 0, count: width)
            var betaGradient = [Float](repeating: 0, count: width)
            for row in 0..<rows {
                let base = row * width
                var meanGx: Float = 0, meanGxXhat: Float = 0
                for column in 0..<width {
                    let g = upstream[base + column]
                    let xhat = normalised[base + column]
                    gammaGradient[column] += g * xhat
                    betaGradient[column] += g
                    let gx = g * gamma.data[column]
                    meanGx += gx
                    meanGxXhat += gx * xhat
                }
                meanGx /= Float(width)
                meanGxXhat /= Float(width)
                for column in 0..<width {
                    let gx = upstream[base + column] * gamma.data[column]
                    inputGradient[base + column] =
                        inverseDeviation[row] * (gx - meanGx - normalised[base + column] * meanGxXhat)
                }
            }
            self.accumulateGrad(inputGradient)
            gamma.accumulateGrad(gammaGradient)
            beta.accumulateGrad(betaGradient)
        }
    }
}
