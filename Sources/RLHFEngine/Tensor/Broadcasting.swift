/// NumPy broadcasting between two shapes.
///
/// Shapes are aligned on their last dimension; a missing or size-1 dimension of
/// one side is repeated to match the other. `BroadcastPlan` maps each output
/// position to a position in each input, and sums an output-shaped gradient back
/// down to an input's shape (the adjoint of repeating is summing).
struct BroadcastPlan {
    let outputShape: [Int]
    let leftStrides: [Int]   // 0 where the left input is repeated
    let rightStrides: [Int]  // 0 where the right input is repeated
    let leftCount: Int
    let rightCount: Int

    /// The plan, or nil when the shapes cannot broadcast.
    init?(_ left: [Int], _ right: [Int]) {
        if left == right {
            // Equal shapes (the common case): every position is its own in both inputs, which
            // `forEachPosition` runs without strides, so none are built.
            outputShape = left
            (leftStrides, rightStrides) = ([], [])
            leftCount = Tensor.elementCount(left)
            rightCount = leftCount
            return
        }
        let rank = Swift.max(left.count, right.count)
        let paddedLeft = [Int](repeating: 1, count: rank - left.count) + left
        let paddedRight = [Int](repeating: 1, count: rank - right.count) + right
        var output = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let (l, r) = (paddedLeft[axis], paddedRight[axis])
            guard l == r || l == 1 || r == 1 else { return nil }
            output[axis] = l == 1 ? r : l
        }
        outputShape = output
        leftStrides = BroadcastPlan.strides(paddedLeft)
        rightStrides = BroadcastPlan.strides(paddedRight)
        leftCount = Tensor.elementCount(left)
        rightCount = Tensor.elementCount(right)
    }

    /// Row-major strides, with 0 for size-1 dimensions (so they repeat).
    private static func strides(_ shape: [Int]) -> [Int] {
        var result = [Int](repeating: 0, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            result[axis] = shape[axis] == 1 ? 0 : step
            step *= shape[axis]
        }
        return result
    }

    /// Calls `body(outputIndex, leftIndex, rightIndex)` for every output position, in order.
    /// Always inlined, so that `body` is inlined into the loops below.
    @inline(__always)
    func forEachPosition(_ body: (Int, Int, Int) -> Void) {
        let total = Tensor.elementCount(outputShape)
        // Fast paths: equal shapes, or a right side that repeats as a whole (a bias).
        if leftCount == total && rightCount == total {
            for index in 0..<total { body(index, index, index) }
            return
        }
        if leftCount == total && rightCount > 0 && total % rightCount == 0 && rightIsSuffix {
            var index = 0
            for _ in 0..<(total / rightCount) {
                for offset in 0..<rightCount { body(index, index, offset); index += 1 }
            }
            return
        }
        let rank = outputShape.count
        var coordinate = [Int](repeating: 0, count: rank)
        var leftIndex = 0, rightIndex = 0
        for index in 0..<total {
            body(index, leftIndex, rightIndex)
            // Advance the coordinate like an odometer, keeping both input offsets in step.
            var axis = rank - 1
            while axis >= 0 {
                coordinate[axis] += 1
                leftIndex += leftStrides[axis]
                rightIndex += rightStrides[axis]
                if coordinate[axis] < outputShape[axis] { break }
                leftIndex -= leftStrides[axis] * coordinate[axis]
                rightIndex -= rightStrides[axis] * coordinate[axis]
                coordinate[axis] = 0
                axis -= 1
            }
        }
    }

    /// True when the right input's strides are those of the output's trailing dimensions,
    /// zero before them: the right side is a block that repeats whole.
    private var rightIsSuffix: Bool {
        var expected = 1
        var seenRepeat = false
        for axis in stride(from: outputShape.count - 1, through: 0, by: -1) {
            if rightStrides[axis] == 0 && outputShape[axis] != 1 {
                seenRepeat = true
            } else if outputShape[axis] != 1 {
                if seenRepeat || rightStrides[axis] != expected { return false }
                expected *= outputShape[axis]
            }
        }
        return true
    }
}
