/// Softmax, log-softmax and the causal mask, all over the last dimension.
extension Tensor {
    /// softmax(x)_i = e^{x_i - m} / sum_j e^{x_j - m}, m = max_j x_j (for stability).
    /// Backward: dx = y * (g - sum_j g_j y_j).
    public func softmax() -> Tensor {
        let width = shape.last!
        let rows = count / Swift.max(width, 1)
        var output = [Float](repeating: 0, count: count)
        for row in 0..<rows {
            Tensor.softmaxRow(data, output: &output, offset: row * width, width: width)
        }
        return Tensor(shape: shape, data: output, parents: [self]) { result in
            let upstream = result.grad!
            var gradient = [Float](repeating: 0, count: self.count)
            for row in 0..<rows {
                let base = row * width
                var dot: Float = 0
                for column in 0..<width { dot += upstream[base + column] * output[base + column] }
                for column in 0..<width { gradient[base + column] = output[base + column] * (upstream[base + column] - dot) }
            }
            self.accumulateGrad(gradient)
        }
    }

    /// log softmax(x)_i = x_i - m - log sum_j e^{x_j - m}.
    /// Backward: dx = g - softmax(x) * sum_j g_j.
    public func logSoftmax() -> Tensor {
        let width = shape.last!
        let rows = count / Swift.max(width, 1)
        var output = [Float](repeating: 0, count: count)
        for row in 0..<rows {
            Tensor.logSoftmaxRow(data, output: &output, offset: row * width, width: width)
        }
        return Tensor(shape: shape, data: output, parents: [self]) { result in
            let upstream = result.grad!
            var gradient = [Float](repeating: 0, count: self.count)
            for row in 0..<rows {
                let base = row * width
                var total: Float = 0
                for column in 0..<width { total += upstream[base + column] }
                for column in 0..<width {
                    gradient[base + column] = upstream[base + column] - PortableMath.exp(output[base + column]) * total
                }
            }
            self.accumulateGrad(gradient)
        }
    }

    /// Causal masking of attention scores (..., T, T): entry (i, j) with j > i (a later
    /// position) becomes -infinity, so softmax gives it weight 0. Its gradient is 0 there
    /// and passes unchanged elsewhere.
    public func causalMasked() -> Tensor {
        precondition(shape.count >= 2 && shape[shape.count - 1] == shape[shape.count - 2],
                     "causal mask needs (..., T, T), got \(shape)")
        let size = shape.last!
        var output = data
        let blocks = count / Swift.max(size * size, 1)
        for block in 0..<blocks {
            for i in 0..<size {
                for j in (i + 1)..<Swift.max(size, i + 1) { output[block * size * size + i * size + j] = -.infinity }
            }
        }
        return Tensor(shape: shape, data: output, parents: [self]) { result in
            var gradient = result.grad!
            for block in 0..<blocks {
                for i in 0..<size {
                    for j in (i + 1)..<Swift.max(size, i + 1) { gradient[block * size * size + i * size + j] = 0 }
                }
            }
            self.accumulateGrad(gradient)
        }
    }

    /// Softmax of `values[offset..<offset+width]` into the same slots of `output`.
    static func softmaxRow(_ values: [Float], output: inout [Float], offset: Int, width: Int) {
        var largest = -Float.infinity
        for column in 0..<width { largest = Swift.max(largest, values[offset + column]) }
        var total: Float = 0
        for column in 0..<width {
            let e = PortableMath.exp(values[offset + column] - largest)
            output[offset + column] = e
            total += e
        }
        for column in 0..<width { output[offset + column] /= total }
    }

    /// Log-softmax of `values[offset..<offset+width]` into the same slots of `output`.
    static func logSoftmaxRow(_ values: [Float], output: inout [Float], offset: Int, width: Int) {
        var largest = -Float.infinity
        for column in 0..<width { largest = Swift.max(largest, values[offset + column]) }
        var total: Double = 0
        for column in 0..<width { total += PortableMath.exp(Double(values[offset + column] - largest)) }
        let logTotal = Float(PortableMath.log(total))
        for column in 0..<width { output[offset + column] = values[offset + column] - largest - logTotal }
    }
}
