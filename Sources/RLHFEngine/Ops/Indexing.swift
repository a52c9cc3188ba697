/// Lookups by integer index: embeddings and gathering the value of chosen tokens.
extension Tensor {
    /// Embedding lookup: rows of this (V, C) table for each id. ids has shape `idsShape`;
    /// the result has shape idsShape + [C]. The gradient of a row is the sum of the
    /// gradients of every position that looked it up.
    public func embedding(_ ids: [Int], shape idsShape: [Int]) -> Tensor {
        precondition(shape.count == 2, "embedding table must be (V, C), got \(shape)")
        precondition(Tensor.elementCount(idsShape) == ids.count, "embedding: \(ids.count) ids for shape \(idsShape)")
        let (rows, width) = (shape[0], shape[1])
        return gatherRows(ids, rowCount: rows, rowSize: width, shape: idsShape + [width]) {
            "embedding: id \($0) outside the table of \(rows) rows"
        }
    }

    /// For (..., V) values and one index per row, the value at that index: (..., V) -> (...).
    /// Used to read the log-probability of each chosen token. d/dx is 1 at the chosen
    /// index and 0 elsewhere.
    public func gatherLastAxis(_ indices: [Int]) -> Tensor {
        let width = shape.last!
        let rows = count / Swift.max(width, 1)
        precondition(indices.count == rows, "gather: \(indices.count) indices for \(rows) rows of \(shape)")
        // One value per row, each written once: the buffer starts uninitialised.
        let output = [Float](unsafeUninitializedCapacity: rows) { picked, initialised in
            data.withUnsafeBufferPointer { values in
                for row in 0..<rows {
                    precondition(indices[row] >= 0 && indices[row] < width,
                                 "gather: index \(indices[row]) outside \(width)")
                    picked[row] = values[row * width + indices[row]]
                }
            }
            initialised = rows
        }
        return Tensor(shape: Array(shape.dropLast()), data: output, parents: [self]) { result in
            let upstream = result.grad!
            var gradient = [Float](repeating: 0, count: self.count)
            for row in 0..<rows { gradient[row * width + indices[row]] = upstream[row] }
            self.accumulateGrad(gradient)
        }
    }
}
