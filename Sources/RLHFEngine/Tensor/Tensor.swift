import Foundation

/// A dense, row-major array of `Float` that remembers how it was computed.
///
/// A tensor holds its values (`data`), its shape, and, when it takes part in a
/// differentiable computation, the tensors it was computed from (`parents`) and a
/// closure that pushes its gradient back into theirs. `backward()` on a scalar
/// visits the graph in reverse topological order and runs those closures: this is
/// reverse-mode automatic differentiation, as in micrograd, but on whole arrays.
///
/// Gradients *accumulate*: a leaf (a model parameter) keeps adding into `grad`
/// until `zeroGrad()` clears it, so several losses can be summed before a step.
public final class Tensor {
    /// Sizes of each dimension, outermost first. A scalar has shape `[]`.
    public let shape: [Int]
    /// The values, row-major: the last dimension varies fastest.
    public var data: [Float]
    /// d(loss)/d(self), the same size as `data`; nil until a backward pass reaches it.
    public var grad: [Float]?
    /// Whether gradients flow into this tensor.
    public let requiresGrad: Bool
    /// A name for messages and checkpoints (parameters carry their Hugging Face name).
    public var name: String?

    let parents: [Tensor]
    /// Adds this node's `grad`, pushed through the op that made it, into each parent's `grad`.
    let backwardClosure: ((Tensor) -> Void)?
    /// Set while `grad` holds values g whose gradient is 0 + g (`accumulateGrad(addedToZero:)`): the add is
    /// deferred into the next accumulation, or into `settleGrad`, and never outlives `backward()`.
    private(set) var gradientAwaitsZeroAdd = false
    /// Whether this op's backward reads `grad` while it awaits its 0 + (and gives every parent the bits it
    /// would give from the settled 0 + g): true for backward passes that use the gradient only as terms of
    /// sums that start from +0 (matrix products, column sums, rows added onto zeros, 0 + g y), whose bits
    /// do not depend on the sign of a zero term, and for passes that hand it on still awaiting (reshape).
    let acceptsAwaitingGradient: Bool
    /// Set while `topologicalOrder` walks a graph holding this node (cleared before it returns): a mark
    /// on the node instead of a hashed set of identities, visiting the same nodes in the same order.
    private var visited = false

    /// A leaf tensor: a constant, or a parameter when `requiresGrad` is true.
    public init(shape: [Int], data: [Float], requiresGrad: Bool = false, name: String? = nil) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(
            Tensor.elementCount(shape) == data.count,
            "shape \(shape) holds \(Tensor.elementCount(shape)) values but \(data.count) were given")
        self.shape = shape
        self.data = data
        self.requiresGrad = requiresGrad
        self.name = name
        self.parents = []
        self.backwardClosure = nil
        self.acceptsAwaitingGradient = false
    }

    /// The result of an op. It records its parents only while gradients are being
    /// recorded and at least one parent needs a gradient.
    init(shape: [Int], data: [Float], parents: [Tensor], acceptsAwaitingGradient: Bool = false,
         backward: @escaping (Tensor) -> Void) {
        let recording = GradientMode.isRecording && parents.contains { $0.requiresGrad }
        self.shape = shape
        self.data = data
        self.requiresGrad = recording
        self.name = nil
        self.parents = recording ? parents : []
        self.backwardClosure = recording ? backward : nil
        self.acceptsAwaitingGradient = acceptsAwaitingGradient
    }

    /// A tensor of zeros.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false, name: String? = nil) {
        self.init(shape: shape, data: [Float](repeating: 0, count: Tensor.elementCount(shape)),
                  requiresGrad: requiresGrad, name: name)
    }

    /// A scalar constant.
    public convenience init(scalar: Float) {
        self.init(shape: [], data: [scalar])
    }

    /// The number of values.
    public var count: Int { data.count }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(data.count == 1, "item needs one value, tensor has shape \(shape)")
        return data[0]
    }

    static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Clears the accumulated gradient.
    public func zeroGrad() {
        grad = nil
        gradientAwaitsZeroAdd = false
    }

    /// A copy of the values that is cut off from the graph (PyTorch's `detach`).
    public func detached() -> Tensor { Tensor(shape: shape, data: data) }

    /// The backward pass's usual step: `body` writes dL/d(self) into a zeroed buffer `dx` of this
    /// tensor's size from `upstream` = dL/d(result), and the buffer is added to this tensor's gradient.
    func accumulateGrad(from result: Tensor,
                        _ body: (_ upstream: UnsafeBufferPointer<Float>,
                                 _ dx: UnsafeMutableBufferPointer<Float>) -> Void) {
        var gradient = [Float](repeating: 0, count: count)
        result.grad!.withUnsafeBufferPointer { upstream in
            gradient.withUnsafeMutableBufferPointer { dx in body(upstream, dx) }
        }
        accumulateGrad(gradient)
    }

    /// As `accumulateGrad(from:_:)`, for a `body` that writes every value of `dx` (so the buffer
    /// is not zeroed first).
    func accumulateGrad(overwritingFrom result: Tensor,
                        _ body: (_ upstream: UnsafeBufferPointer<Float>,
                                 _ dx: UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = self.count
        let gradient = [Float](unsafeUninitializedCapacity: count) { dx, initialised in
            result.grad!.withUnsafeBufferPointer { upstream in body(upstream, dx) }
            initialised = count
        }
        accumulateGrad(gradient)
    }

    /// Adds `values` into `grad`, allocating it on first use; a gradient g that awaits its 0 + (see
    /// `accumulateGrad(addedToZero:)`) becomes (0 + g) + values.
    func accumulateGrad(_ values: [Float]) {
        guard requiresGrad else { return }
        precondition(values.count == data.count, "gradient size \(values.count) for shape \(shape)")
        guard grad != nil else {
            grad = values
            return
        }
        let awaits = gradientAwaitsZeroAdd
        values.withUnsafeBufferPointer { source in
            grad!.withUnsafeMutableBufferPointer { target in
                if awaits {
                    for index in 0..<target.count { target[index] = (0 + target[index]) + source[index] }
                } else {
                    for index in 0..<target.count { target[index] += source[index] }
                }
            }
        }
        gradientAwaitsZeroAdd = false
    }

    /// Adds 0 + upstream into `grad`: what an input of x + y receives (0 + g * 1, the bits of adding g onto
    /// zeros, which turns -0 into +0). On first use `grad` takes `upstream` itself, with no copy, and
    /// awaits its 0 +: the next accumulation adds it on the way ((0 + g) + v, one pass), an op that accepts
    /// an awaiting gradient reads it as it stands, and `settleGrad` writes 0 + g before anything else does.
    func accumulateGrad(addedToZero upstream: [Float]) {
        guard requiresGrad else { return }
        precondition(upstream.count == data.count, "gradient size \(upstream.count) for shape \(shape)")
        guard grad != nil else {
            grad = upstream
            gradientAwaitsZeroAdd = true
            return
        }
        let awaits = gradientAwaitsZeroAdd
        upstream.withUnsafeBufferPointer { source in
            grad!.withUnsafeMutableBufferPointer { target in
                for index in 0..<target.count {
                    target[index] = (awaits ? 0 + target[index] : target[index]) + (0 + source[index])
                }
            }
        }
        gradientAwaitsZeroAdd = false
    }

    /// Writes the 0 + that `grad` awaits, if it does: afterwards `grad` holds the gradient's own bits.
    func settleGrad() {
        guard gradientAwaitsZeroAdd, let awaiting = grad else { return }
        let total = awaiting.count
        grad = [Float](unsafeUninitializedCapacity: total) { target, initialised in
            awaiting.withUnsafeBufferPointer { source in
                for index in 0..<total { target[index] = 0 + source[index] }
            }
            initialised = total
        }
        gradientAwaitsZeroAdd = false
    }

    /// Reverse-mode differentiation from this scalar: afterwards every leaf that requires a gradient and took
    /// part (a parameter, an input) holds d(self)/d(it) added into its `grad`, and so does this scalar (1).
    /// The tensors made on the way hold none afterwards: each one's gradient is dropped once its op has
    /// pushed it on (as PyTorch keeps gradients of leaves only, unless asked).
    public func backward() {
        precondition(data.count == 1, "backward() starts from a scalar; this tensor has shape \(shape)")
        guard requiresGrad else { return }
        let order = topologicalOrder()
        accumulateGrad([1])
        // Each node runs after every op that reads it, so its gradient is complete here; a leaf's is settled.
        for node in order.reversed() where node.grad != nil {
            if !node.acceptsAwaitingGradient { node.settleGrad() }
            guard let closure = node.backwardClosure else { continue }
            closure(node)
            // An intermediate gradient is read by its own op's backward only: dropped once that has run, so
            // that a buffer it shared (an awaiting gradient handed on) is left with one owner to add into.
            if node !== self {
                node.grad = nil
                node.gradientAwaitsZeroAdd = false
            }
        }
    }

    /// Every node reachable from this one, each after all of its parents.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        // Iterative depth-first search: (node, whether its parents are done).
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (node, parentsDone) = stack.popLast() {
            if parentsDone { order.append(node); continue }
            guard !node.visited else { continue }
            node.visited = true
            stack.append((node, true))
            for parent in node.parents where parent.requiresGrad && !parent.visited {
                stack.append((parent, false))
            }
        }
        // Every visited node is in `order`, so this clears every mark.
        for node in order { node.visited = false }
        return order
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = data.prefix(8).map { String(format: "%.4f", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(data.count > 8 ? ", ..." : "")])"
    }
}
