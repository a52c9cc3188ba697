/// Lookups by integer index: embeddings and gathering the value of chosen tokens.
extension Tensor {
    /// Embedding lookup: rows of this (V, C) table for each id. ids has shape `idsShape`;
    /// the result has shape idsShape + [C]. The gradient of a row is the sum of the
    /// gradients of every position that looked it up.
    public func embedding(_ ids: [Int], shape idsShape: [Int]) -> Tensor {
        precondition(shape.count == 2, "embedding table must be (V, C), got \(shape)")
        precondition(Tensor.elementCount(idsShape) == ids.count, "embedding: \(ids.count) ids for shape \(idsShape)")
        let (rows, width) = (shape[0], shape[1])
        var output = [Float](repeating: 0, count: ids.count * width)
        data.withUnsafeBufferPointer { table in
            output.withUnsafeMutableBufferPointer { result in
                for (position, id) in ids.enumerated() {
                    precondition(id >= 0 && id < rows, "embedding: id \(id) outside the table of \(rows) rows")
                    for column in 0..<width { result[position * width + column] = table[id * width + column] }
                }
            }
        }
        return Tensor(shape: idsShape + [width], data: output, parents: [self]) { result in
            self.accumulateGrad(from: result) { upstream, dx in
                for (position, id) in ids.enumerated() {
                    for column in 0..<width { dx[id * width + column] += upstream[position * width + column] }
                }
            }
        }
    }

    /// For (..., V) values and one index per row, the value at that index: (..., V) -> (...).
    /// Used to read the log-probability of each chosen token. d/dx is 1 at the chosen
    /// index and 0 elsewhere.
    public func gatherLastAxis(_ indices: [Int]) -> Tensor {
        let width = shape.last!
        let rows = count / Swift.max(width, 1)
        precondition(indices.count == rows, "gather: \(indices.count) indices for \(rows) rows of \(shape)")
        var output = [Float](repeating: 0, count: rows)
        for row in 0..<rows {
            precondition(indices[row] >= 0 && indices[row] < width, "gather: index \(indices[row]) outside \(width)")
            output[row] = data[row * width + indices[row]]
        }
        return Tensor(shape: Array(shape.dropLast()), data: output, parents: [self]) { result in
            let upstream = result.grad!
            var gradient = [Float](repeating: 0, count: self.count)
            for row in 0..<rows { gradient[row * width + indices[row]] = upstream[row] }
            self.accumulateGrad(gradient)
        }
    }
}
