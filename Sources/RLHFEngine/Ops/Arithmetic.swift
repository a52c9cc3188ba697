/// Elementwise arithmetic with NumPy broadcasting.
///
/// For z = x + y, dz/dx = dz/dy = 1; for z = x * y, dz/dx = y and dz/dy = x.
/// Where an input was repeated by broadcasting, its gradient is the sum over the
/// repeats.
///
/// Each op is a type conforming to `BinaryFunction` or `UnaryFunction`, so the generic
/// loops below are specialised per op and the function is inlined into them (no closure
/// call per element). The arithmetic per element is unchanged: forward z = f(x, y);
/// backward, for each output position in order, dx += g * df/dx and dy += g * df/dy.

/// An elementwise function of two values and its partial derivatives.
protocol BinaryFunction {
    static func value(_ x: Float, _ y: Float) -> Float
    /// (dz/dx, dz/dy) at (x, y).
    static func partials(_ x: Float, _ y: Float) -> (Float, Float)
}

/// An elementwise function of one value; `derivative(x, y)` gives dy/dx from x and y = f(x).
protocol UnaryFunction {
    func value(_ x: Float) -> Float
    func derivative(_ x: Float, _ y: Float) -> Float
}

enum AddFunction: BinaryFunction {
    @inline(__always) static func value(_ x: Float, _ y: Float) -> Float { x + y }
    @inline(__always) static func partials(_ x: Float, _ y: Float) -> (Float, Float) { (1, 1) }
}

enum SubtractFunction: BinaryFunction {
    @inline(__always) static func value(_ x: Float, _ y: Float) -> Float { x - y }
    @inline(__always) static func partials(_ x: Float, _ y: Float) -> (Float, Float) { (1, -1) }
}

enum MultiplyFunction: BinaryFunction {
    @inline(__always) static func value(_ x: Float, _ y: Float) -> Float { x * y }
    @inline(__always) static func partials(_ x: Float, _ y: Float) -> (Float, Float) { (y, x) }
}

enum DivideFunction: BinaryFunction {
    @inline(__always) static func value(_ x: Float, _ y: Float) -> Float { x / y }
    @inline(__always) static func partials(_ x: Float, _ y: Float) -> (Float, Float) { (1 / y, -x / (y * y)) }
}

/// A unary function given as two closures (for ops without a type of their own).
struct ClosureFunction: UnaryFunction {
    let function: (Float) -> Float
    let derivativeFunction: (Float, Float) -> Float
    func value(_ x: Float) -> Float { function(x) }
    func derivative(_ x: Float, _ y: Float) -> Float { derivativeFunction(x, y) }
}

struct AddScalarFunction: UnaryFunction {
    let constant: Float
    @inline(__always) func value(_ x: Float) -> Float { x + constant }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { 1 }
}

struct MultiplyScalarFunction: UnaryFunction {
    let constant: Float
    @inline(__always) func value(_ x: Float) -> Float { x * constant }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { constant }
}

extension Tensor {
    /// Applies `F` elementwise over the broadcast of `self` and `other`.
    @inline(__always)
    func broadcastBinary<F: BinaryFunction>(_ other: Tensor, _ opName: String, _ function: F.Type) -> Tensor {
        guard let plan = BroadcastPlan(shape, other.shape) else {
            preconditionFailure("\(opName): shapes \(shape) and \(other.shape) do not broadcast")
        }
        let total = Tensor.elementCount(plan.outputShape)
        let output = [Float](unsafeUninitializedCapacity: total) { buffer, initialised in
            data.withUnsafeBufferPointer { left in
                other.data.withUnsafeBufferPointer { right in
                    plan.forEachPosition { out, l, r in buffer[out] = F.value(left[l], right[r]) }
                }
            }
            initialised = total
        }
        // Every gradient below is 0 + g * df, or g * df added onto zeros: a sum from +0, so a gradient that
        // awaits its 0 + is read as it stands.
        return Tensor(shape: plan.outputShape, data: output, parents: [self, other],
                      acceptsAwaitingGradient: true) { result in
            if plan.leftCount == total && plan.rightCount == total && F.self == AddFunction.self {
                // x + y of equal shapes: each input receives 0 + g * 1 = 0 + g, with no copy (see
                // `accumulateGrad(addedToZero:)`).
                self.accumulateGrad(addedToZero: result.grad!)
                other.accumulateGrad(addedToZero: result.grad!)
                return
            }
            if plan.leftCount == total && plan.rightCount == total {
                // Equal shapes: each input value meets one output, so its gradient 0 + g * df is
                // written whole (the bits of adding it onto zeros), and only for an input that takes one.
                let upstream = result.grad!
                func gradient(_ left: Bool) -> [Float] {
                    [Float](unsafeUninitializedCapacity: total) { dx, initialised in
                        upstream.withUnsafeBufferPointer { g in
                            self.data.withUnsafeBufferPointer { x in
                                other.data.withUnsafeBufferPointer { y in
                                    for index in 0..<total {
                                        let (dLeft, dRight) = F.partials(x[index], y[index])
                                        dx[index] = 0 + g[index] * (left ? dLeft : dRight)
                                    }
                                }
                            }
                        }
                        initialised = total
                    }
                }
                if self.requiresGrad { self.accumulateGrad(gradient(true)) }
                if other.requiresGrad { other.accumulateGrad(gradient(false)) }
                return
            }
            var leftGrad = [Float](repeating: 0, count: plan.leftCount)
            var rightGrad = [Float](repeating: 0, count: plan.rightCount)
            result.grad!.withUnsafeBufferPointer { upstream in
                self.data.withUnsafeBufferPointer { x in
                    other.data.withUnsafeBufferPointer { y in
                        leftGrad.withUnsafeMutableBufferPointer { dx in
                            rightGrad.withUnsafeMutableBufferPointer { dy in
                                plan.forEachPosition { out, l, r in
                                    let (dLeft, dRight) = F.partials(x[l], y[r])
                                    dx[l] += upstream[out] * dLeft
                                    dy[r] += upstream[out] * dRight
                                }
                            }
                        }
                    }
                }
            }
            self.accumulateGrad(leftGrad)
            other.accumulateGrad(rightGrad)
        }
    }

    /// Applies `F` to each value; the gradient is upstream * F.derivative(x, y).
    @inline(__always)
    func unary<F: UnaryFunction>(_ function: F) -> Tensor {
        let total = count
        let output = [Float](unsafeUninitializedCapacity: total) { buffer, initialised in
            data.withUnsafeBufferPointer { input in
                for index in 0..<total { buffer[index] = function.value(input[index]) }
            }
            initialised = total
        }
        return Tensor(shape: shape, data: output, parents: [self]) { result in
            let gradient = [Float](unsafeUninitializedCapacity: total) { buffer, initialised in
                result.grad!.withUnsafeBufferPointer { upstream in
                    self.data.withUnsafeBufferPointer { x in
                        output.withUnsafeBufferPointer { y in
                            for index in 0..<total {
                                buffer[index] = upstream[index] * function.derivative(x[index], y[index])
                            }
                        }
                    }
                }
                initialised = total
            }
            self.accumulateGrad(gradient)
        }
    }

    /// Applies `function` to each value; `derivative(x, y)` gives dy/dx from the input x and output y.
    func unary(_ function: @escaping (Float) -> Float, derivative: @escaping (Float, Float) -> Float) -> Tensor {
        unary(ClosureFunction(function: function, derivativeFunction: derivative))
    }

    public static func + (left: Tensor, right: Tensor) -> Tensor {
        left.broadcastBinary(right, "add", AddFunction.self)
    }

    public static func - (left: Tensor, right: Tensor) -> Tensor {
        left.broadcastBinary(right, "subtract", SubtractFunction.self)
    }

    public static func * (left: Tensor, right: Tensor) -> Tensor {
        left.broadcastBinary(right, "multiply", MultiplyFunction.self)
    }

    public static func / (left: Tensor, right: Tensor) -> Tensor {
        left.broadcastBinary(right, "divide", DivideFunction.self)
    }

    public static func + (left: Tensor, right: Float) -> Tensor {
        left.unary(AddScalarFunction(constant: right))
    }

    public static func - (left: Tensor, right: Float) -> Tensor { left + (-right) }

    public static func * (left: Tensor, right: Float) -> Tensor {
        left.unary(MultiplyScalarFunction(constant: right))
    }

    public static func * (left: Float, right: Tensor) -> Tensor { right * left }

    public static prefix func - (operand: Tensor) -> Tensor { operand * -1 }
}
