/// Sums and means, over everything or over the last dimension.
///
/// The adjoint of a sum is a broadcast: each input receives the upstream gradient
/// of the sum it fed (divided by the count, for a mean).
extension Tensor {
    /// The sum of all values, a scalar. Accumulated in `Double` for accuracy.
    public func sum() -> Tensor {
        var total = 0.0
        for value in data { total += Double(value) }
        return Tensor(shape: [], data: [Float(total)], parents: [self]) { result in
            self.accumulateGrad([Float](repeating: result.grad![0], count: self.count))
        }
    }

    /// The mean of all values, a scalar.
    public func mean() -> Tensor {
        precondition(count > 0, "mean of an empty tensor")
        return sum() * (1 / Float(count))
    }

    /// Sums over the last dimension: (..., N) -> (...).
    public func sumLastAxis() -> Tensor {
        precondition(!shape.isEmpty, "sumLastAxis needs at least one dimension")
        let width = shape.last!
        let rows = width == 0 ? 0 : count / width
        // Each row's sum and each gradient value is written once, so both buffers start uninitialised.
        let output = [Float](unsafeUninitializedCapacity: rows) { sums, initialised in
            data.withUnsafeBufferPointer { values in
                for row in 0..<rows {
                    var total = 0.0
                    for column in 0..<width { total += Double(values[row * width + column]) }
                    sums[row] = Float(total)
                }
            }
            initialised = rows
        }
        return Tensor(shape: Array(shape.dropLast()), data: output, parents: [self]) { result in
            let count = self.count
            let gradient = [Float](unsafeUninitializedCapacity: count) { dx, initialised in
                result.grad!.withUnsafeBufferPointer { upstream in
                    for row in 0..<rows {
                        (dx.baseAddress! + row * width).initialize(repeating: upstream[row], count: width)
                    }
                }
                initialised = count
            }
            self.accumulateGrad(gradient)
        }
    }

    /// Means over the last dimension: (..., N) -> (...).
    public func meanLastAxis() -> Tensor {
        sumLastAxis() * (1 / Float(shape.last!))
    }

    /// The mean of the values where `mask` is 1 (mask has the same shape, values 0 or 1):
    /// sum(x * mask) / sum(mask): the masked mean.
    public func maskedMean(_ mask: Tensor) -> Tensor {
        precondition(mask.shape == shape, "maskedMean: mask \(mask.shape) for tensor \(shape)")
        let total = mask.data.reduce(0, +)
        precondition(total > 0, "maskedMean: the mask selects nothing")
        return (self * mask).sum() * (1 / total)
    }
}
