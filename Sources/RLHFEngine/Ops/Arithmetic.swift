/// Elementwise arithmetic with NumPy broadcasting.
///
/// For z = x + y, dz/dx = dz/dy = 1; for z = x * y, dz/dx = y and dz/dy = x.
/// Where an input was repeated by broadcasting, its gradient is the sum over the
/// repeats.
extension Tensor {
    /// Applies `combine` elementwise over the broadcast of `self` and `other`;
    /// `partials(x, y)` gives (dz/dx, dz/dy) at one position.
    func broadcastBinary(
        _ other: Tensor, _ opName: String,
        combine: (Float, Float) -> Float,
        partials: @escaping (Float, Float) -> (Float, Float)
    ) -> Tensor {
        guard let plan = BroadcastPlan(shape, other.shape) else {
            preconditionFailure("\(opName): shapes \(shape) and \(other.shape) do not broadcast")
        }
        var output = [Float](repeating: 0, count: Tensor.elementCount(plan.outputShape))
        data.withUnsafeBufferPointer { left in
            other.data.withUnsafeBufferPointer { right in
                plan.forEachPosition { out, l, r in output[out] = combine(left[l], right[r]) }
            }
        }
        return Tensor(shape: plan.outputShape, data: output, parents: [self, other]) { result in
            let upstream = result.grad!
            var leftGrad = [Float](repeating: 0, count: plan.leftCount)
            var rightGrad = [Float](repeating: 0, count: plan.rightCount)
            plan.forEachPosition { out, l, r in
                let (dLeft, dRight) = partials(self.data[l], other.data[r])
                leftGrad[l] += upstream[out] * dLeft
                rightGrad[r] += upstream[out] * dRight
            }
            self.accumulateGrad(leftGrad)
            other.accumulateGrad(rightGrad)
        }
    }

    /// Applies `function` to each value; `derivative(x, y)` gives dy/dx from the input x and output y.
    func unary(_ function: (Float) -> Float, derivative: @escaping (Float, Float) -> Float) -> Tensor {
        let output = data.map(function)
        return Tensor(shape: shape, data: output, parents: [self]) { result in
            let upstream = result.grad!
            var gradient = [Float](repeating: 0, count: self.count)
            for index in 0..<gradient.count {
                gradient[index] = upstream[index] * derivative(self.data[index], output[index])
            }
            self.accumulateGrad(gradient)
        }
    }

    public static func + (left: Tensor, right: Tensor) -> Tensor {
        left.broadcastBinary(right, "add", combine: +, partials: { _, _ in (1, 1) })
    }

    public static func - (left: Tensor, right: Tensor) -> Tensor {
        left.broadcastBinary(right, "subtract", combine: -, partials: { _, _ in (1, -1) })
    }

    public static func * (left: Tensor, right: Tensor) -> Tensor {
        left.broadcastBinary(right, "multiply", combine: *, partials: { x, y in (y, x) })
    }

    public static func / (left: Tensor, right: Tensor) -> Tensor {
        left.broadcastBinary(right, "divide", combine: /, partials: { x, y in (1 / y, -x / (y * y)) })
    }

    public static func + (left: Tensor, right: Float) -> Tensor {
        left.unary({ $0 + right }, derivative: { _, _ in 1 })
    }

    public static func - (left: Tensor, right: Float) -> Tensor { left + (-right) }

    public static func * (left: Tensor, right: Float) -> Tensor {
        left.unary({ $0 * right }, derivative: { _, _ in right })
    }

    public static func * (left: Float, right: Tensor) -> Tensor { right * left }

    public static prefix func - (operand: Tensor) -> Tensor { operand * -1 }
}
