/// Matrix product, with leading batch dimensions.
///
/// `a` is (..., M, K). `b` is either a (K, N) weight shared by every batch entry, or
/// (..., K, N) with the same leading dimensions as `a`. The result is (..., M, N).
/// For C = A B: dA = dC B^T and dB = A^T dC (summed over the batch for a shared B).
/// The products run in `FastMatrixKernels`, which give the same bits as the plain
/// loops of `MatrixKernels` (see there for the order of every sum).
extension Tensor {
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(shape.count >= 2 && other.shape.count >= 2, "matmul: shapes \(shape) and \(other.shape)")
        let (m, k) = (shape[shape.count - 2], shape[shape.count - 1])
        let (otherK, n) = (other.shape[other.shape.count - 2], other.shape[other.shape.count - 1])
        precondition(k == otherK, "matmul: inner sizes differ, \(shape) times \(other.shape)")
        let batchShape = Array(shape.dropLast(2))
        let sharedRight = other.shape.count == 2
        precondition(sharedRight || Array(other.shape.dropLast(2)) == batchShape,
                     "matmul: batch dimensions differ, \(shape) times \(other.shape)")
        let batches = Tensor.elementCount(batchShape)
        let rightStride = sharedRight ? 0 : k * n
        // Every element is written by the product (each sum starts from +0), so the buffer
        // starts uninitialised; with k = 0 the products are zeros.
        let output = [Float](unsafeUninitializedCapacity: batches * m * n) { c, initialised in
            initialised = batches * m * n
            guard k > 0, batches * m * n > 0 else { c.initialize(repeating: 0); return }
            data.withUnsafeBufferPointer { a in
                other.data.withUnsafeBufferPointer { b in
                    if sharedRight {
                        // One product of (batches*M, K) by (K, N).
                        FastMatrixKernels.multiply(a.baseAddress!, b.baseAddress!, c.baseAddress!,
                                                   m: batches * m, k: k, n: n)
                    } else {
                        for batch in 0..<batches {
                            FastMatrixKernels.multiply(a.baseAddress! + batch * m * k,
                                                       b.baseAddress! + batch * rightStride,
                                                       c.baseAddress! + batch * m * n, m: m, k: k, n: n)
                        }
                    }
                }
            }
        }
        return Tensor(shape: batchShape + [m, n], data: output, parents: [self, other]) { result in
            let upstream = result.grad!
            // dA is added onto zeros; dB is written whole by its products when there are rows (each
            // batch's slice once, C = 0 + terms: the bits of adding them onto zeros), so it starts
            // uninitialised.
            var leftGradient = [Float](repeating: 0, count: self.count)
            let writesRight = batches * m > 0 && n > 0
            var rightGradient = writesRight
                ? [Float](unsafeUninitializedCapacity: other.count) { _, initialised in initialised = other.count }
                : [Float](repeating: 0, count: other.count)
            upstream.withUnsafeBufferPointer { g in
                self.data.withUnsafeBufferPointer { a in
                    other.data.withUnsafeBufferPointer { b in
                        leftGradient.withUnsafeMutableBufferPointer { da in
                            rightGradient.withUnsafeMutableBufferPointer { db in
                                let rows = sharedRight ? batches * m : m
                                let loops = sharedRight ? 1 : batches
                                for batch in 0..<loops {
                                    let gBase = g.baseAddress! + batch * m * n
                                    let aBase = a.baseAddress! + batch * m * k
                                    let bBase = b.baseAddress! + batch * rightStride
                                    // dA (rows x K) += dC (rows x N) * B^T
                                    FastMatrixKernels.multiplyTransposedRight(gBase, bBase,
                                                                              da.baseAddress! + batch * m * k,
                                                                              m: rows, n: n, k: k)
                                    // dB (K x N) += A^T (K x rows) * dC (rows x N)
                                    // (multiplyTransposedLeft's product, overwriting.)
                                    FastMatrixKernels.blocked(a: aBase, aRowStride: 1, aDepthStride: k, b: gBase,
                                                              ldb: n, c: db.baseAddress! + batch * rightStride,
                                                              ldc: n, rows: k, columns: n, depth: rows,
                                                              mode: .overwrite)
                                }
                            }
                        }
                    }
                }
            }
            self.accumulateGrad(leftGradient)
            other.accumulateGrad(rightGradient)
        }
    }
}
