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
        return Tensor(shape: resolved, data: data, parents: [self]) { result in
            self.accumulateGrad(result.grad!)
        }
    }

    /// Swaps two dimensions (negative axes count from the end), copying into the new layout.
    public func transposed(_ firstAxis: Int, _ secondAxis: Int) -> Tensor {
        let rank = shape.count
        let a = firstAxis < 0 ? firstAxis + rank : firstAxis
        let b = secondAxis < 0 ? secondAxis + rank : secondAxis
        precondition(a >= 0 && a < rank && b >= 0 && b < rank, "transpose: axes \(firstAxis), \(secondAxis) for shape \(shape)")
        var permutation = Array(0..<rank)
        permutation.swapAt(a, b)
        let (output, mapping) = Tensor.permute(data, shape: shape, permutation: permutation)
        var newShape = shape
        newShape.swapAt(a, b)
        return Tensor(shape: newShape, data: output, parents: [self]) { result in
            let upstream = result.grad!
            var gradient = [Float](repeating: 0, count: self.count)
            for (outputIndex, inputIndex) in mapping.enumerated() { gradient[inputIndex] = upstream[outputIndex] }
            self.accumulateGrad(gradient)
        }
    }

    /// Reorders the dimensions of row-major `values`; returns the new values and, for
    /// each output position, the input position it came from.
    static func permute(_ values: [Float], shape: [Int], permutation: [Int]) -> ([Float], [Int]) {
        let rank = shape.count
        var inputStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1]
        }
        let outputShape = permutation.map { shape[$0] }
        let stridesInOutputOrder = permutation.map { inputStrides[$0] }
        var mapping = [Int](repeating: 0, count: values.count)
        var coordinate = [Int](repeating: 0, count: rank)
        var inputIndex = 0
        for outputIndex in 0..<values.count {
            mapping[outputIndex] = inputIndex
            var axis = rank - 1
            while axis >= 0 {
                coordinate[axis] += 1
                inputIndex += stridesInOutputOrder[axis]
                if coordinate[axis] < outputShape[axis] { break }
                inputIndex -= stridesInOutputOrder[axis] * coordinate[axis]
                coordinate[axis] = 0
                axis -= 1
            }
        }
        return (mapping.map { values[$0] }, mapping)
    }

    /// Columns `range` of the last dimension: (..., N) -> (..., range.count).
    public func sliceLastAxis(_ range: Range<Int>) -> Tensor {
        let width = shape.last!
        precondition(range.lowerBound >= 0 && range.upperBound <= width, "slice \(range) of last dimension \(width)")
        let rows = count / Swift.max(width, 1)
        let part = range.count
        var output = [Float](repeating: 0, count: rows * part)
        for row in 0..<rows {
            for column in 0..<part { output[row * part + column] = data[row * width + range.lowerBound + column] }
        }
        return Tensor(shape: Array(shape.dropLast()) + [part], data: output, parents: [self]) { result in
            let upstream = result.grad!
            var gradient = [Float](repeating: 0, count: self.count)
            for row in 0..<rows {
                for column in 0..<part { gradient[row * width + range.lowerBound + column] = upstream[row * part + column] }
            }
            self.accumulateGrad(gradient)
        }
    }

    /// Picks rows of a (N, ...) tensor by index along the first dimension: (N, ...) -> (indices.count, ...).
    /// An index may repeat; its gradient is the sum.
    public func selectRows(_ indices: [Int]) -> Tensor {
        precondition(!shape.isEmpty, "selectRows on a scalar")
        let rowSize = count / Swift.max(shape[0], 1)
        var output = [Float]()
        output.reserveCapacity(indices.count * rowSize)
        for index in indices {
            precondition(index >= 0 && index < shape[0], "selectRows: row \(index) of \(shape[0])")
            output.append(contentsOf: data[(index * rowSize)..<((index + 1) * rowSize)])
        }
        return Tensor(shape: [indices.count] + shape.dropFirst(), data: output, parents: [self]) { result in
            let upstream = result.grad!
            var gradient = [Float](repeating: 0, count: self.count)
            for (position, index) in indices.enumerated() {
                for offset in 0..<rowSize { gradient[index * rowSize + offset] += upstream[position * rowSize + offset] }
            }
            self.accumulateGrad(gradient)
        }
    }
}
