/// Ops that move values without changing them: reshape, transpose, slicing, concatenation.
extension Tensor {
    /// The same values with a new shape of the same size; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            precondition(known > 0 && count % known == 0, "reshape: \(shape) cannot become \(newShape)")
            resolved[inferred] = count / known
        }
        precondition(Tensor.elementCount(resolved) == count, "reshape: \(shape) cannot become \(newShape)")
        // The gradient passes through as it is, still awaiting its 0 + if it does.
        return Tensor(shape: resolved, data: data, parents: [self], acceptsAwaitingGradient: true) { result in
            if result.gradientAwaitsZeroAdd {
                self.accumulateGrad(addedToZero: result.grad!)
            } else {
                self.accumulateGrad(result.grad!)
            }
        }
    }

    /// Swaps two dimensions (negative axes count from the end), copying into the new layout.
    public func transposed(_ firstAxis: Int, _ secondAxis: Int) -> Tensor {
        let rank = shape.count
        let a = firstAxis < 0 ? firstAxis + rank : firstAxis
        let b = secondAxis < 0 ? secondAxis + rank : secondAxis
        precondition(a >= 0 && a < rank && b >= 0 && b < rank,
                     "transpose: axes \(firstAxis), \(secondAxis) for shape \(shape)")
        var permutation = Array(0..<rank)
        permutation.swapAt(a, b)
        let layout = PermutedLayout(shape: shape, permutation: permutation)
        // The runs cover every position once, so the buffer starts uninitialised.
        let count = self.count
        let output = [Float](unsafeUninitializedCapacity: count) { result, initialised in
            data.withUnsafeBufferPointer { input in
                layout.forEachRun { outputIndex, inputIndex, inputStride, length in
                    for offset in 0..<length { result[outputIndex + offset] = input[inputIndex + offset * inputStride] }
                }
            }
            initialised = count
        }
        var newShape = shape
        newShape.swapAt(a, b)
        return Tensor(shape: newShape, data: output, parents: [self]) { result in
            self.accumulateGrad(overwritingFrom: result) { upstream, dx in
                layout.forEachRun { outputIndex, inputIndex, inputStride, length in
                    for offset in 0..<length { dx[inputIndex + offset * inputStride] = upstream[outputIndex + offset] }
                }
            }
        }
    }

    /// Columns `range` of the last dimension: (..., N) -> (..., range.count).
    public func sliceLastAxis(_ range: Range<Int>) -> Tensor {
        let width = shape.last!
        precondition(range.lowerBound >= 0 && range.upperBound <= width, "slice \(range) of last dimension \(width)")
        let rows = count / Swift.max(width, 1)
        let part = range.count
        // Every value is written below, so the buffer starts uninitialised.
        let output = [Float](unsafeUninitializedCapacity: rows * part) { result, initialised in
            data.withUnsafeBufferPointer { input in
                for row in 0..<rows {
                    let start = row * width + range.lowerBound
                    for column in 0..<part { result[row * part + column] = input[start + column] }
                }
            }
            initialised = rows * part
        }
        return Tensor(shape: Array(shape.dropLast()) + [part], data: output, parents: [self]) { result in
            self.accumulateGrad(from: result) { upstream, dx in
                for row in 0..<rows {
                    let start = row * width + range.lowerBound
                    for column in 0..<part { dx[start + column] = upstream[row * part + column] }
                }
            }
        }
    }

    /// Picks rows of a (N, ...) tensor by index along the first dimension: (N, ...) -> (indices.count, ...).
    /// An index may repeat; its gradient is the sum.
    public func selectRows(_ indices: [Int]) -> Tensor {
        precondition(!shape.isEmpty, "selectRows on a scalar")
        let rowSize = count / Swift.max(shape[0], 1)
        let rowCount = shape[0]
        return gatherRows(indices, rowCount: rowCount, rowSize: rowSize, shape: [indices.count] + shape.dropFirst()) {
            "selectRows: row \($0) of \(rowCount)"
        }
    }

    /// Rows `indices` of this tensor read as (rowCount, rowSize), in a tensor of `outputShape`:
    /// out[p] = x[indices[p]]. Backward: dx[i] = sum of g[p] over the positions p with indices[p] = i.
    /// `outside` words the failure for an index not in 0..<rowCount.
    func gatherRows(_ indices: [Int], rowCount: Int, rowSize: Int, shape outputShape: [Int],
                    outside: (Int) -> String) -> Tensor {
        // Every row is copied whole below, so the buffer starts uninitialised.
        let total = indices.count * rowSize
        let output = [Float](unsafeUninitializedCapacity: total) { result, initialised in
            data.withUnsafeBufferPointer { input in
                for (position, index) in indices.enumerated() {
                    precondition(index >= 0 && index < rowCount, outside(index))
                    guard rowSize > 0 else { continue }
                    (result.baseAddress! + position * rowSize).initialize(from: input.baseAddress! + index * rowSize,
                                                                          count: rowSize)
                }
            }
            initialised = total
        }
        // dx is rows of g added onto zeros (sums from +0): an awaiting gradient is read as it stands.
        return Tensor(shape: outputShape, data: output, parents: [self], acceptsAwaitingGradient: true) { result in
            self.accumulateGrad(from: result) { upstream, dx in
                guard rowSize > 0 else { return }
                for (position, index) in indices.enumerated() {
                    Tensor.addRow(upstream.baseAddress! + position * rowSize, into: dx.baseAddress! + index * rowSize,
                                  count: rowSize)
                }
            }
        }
    }
}

extension Tensor {
    /// target[j] = target[j] + source[j] for j < count: one IEEE add per element (eight lanes at a time,
    /// then one), so each element's sum advances by exactly one term. The two must not overlap.
    @inline(__always)
    static func addRow(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        while j + 8 <= count {
            let sum = UnsafeRawPointer(target + j).loadUnaligned(as: SIMD8<Float>.self)
                + UnsafeRawPointer(source + j).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(target + j).storeBytes(of: sum, as: SIMD8<Float>.self)
            j += 8
        }
        while j < count {
            target[j] += source[j]
            j += 1
        }
    }
}

/// Where each value of a row-major array goes when its dimensions are reordered.
struct PermutedLayout {
    let outputShape: [Int]
    /// Input strides, in output-axis order.
    let strides: [Int]
    let count: Int

    init(shape: [Int], permutation: [Int]) {
        let rank = shape.count
        var inputStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1]
        }
        outputShape = permutation.map { shape[$0] }
        strides = permutation.map { inputStrides[$0] }
        count = Tensor.elementCount(shape)
    }

    /// Calls `body(outputStart, inputStart, inputStride, length)` for every run of the
    /// output's last dimension, in output order: output position outputStart + t holds
    /// input position inputStart + t * inputStride.
    @inline(__always)
    func forEachRun(_ body: (Int, Int, Int, Int) -> Void) {
        guard count > 0 else { return }
        let rank = outputShape.count
        guard rank > 0 else { body(0, 0, 1, 1); return }
        let length = outputShape[rank - 1]
        let innerStride = strides[rank - 1]
        var coordinate = [Int](repeating: 0, count: rank)
        var inputIndex = 0
        var outputIndex = 0
        while outputIndex < count {
            body(outputIndex, inputIndex, innerStride, length)
            outputIndex += length
            // Advance the outer axes like an odometer.
            var axis = rank - 2
            while axis >= 0 {
                coordinate[axis] += 1
                inputIndex += strides[axis]
                if coordinate[axis] < outputShape[axis] { break }
                inputIndex -= strides[axis] * coordinate[axis]
                coordinate[axis] = 0
                axis -= 1
            }
        }
    }
}
