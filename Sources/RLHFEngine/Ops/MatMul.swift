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
        // dA and dB are sums from +0 of terms of g (or zeros): an awaiting gradient is read as it stands.
        return Tensor(shape: batchShape + [m, n], data: output, parents: [self, other],
                      acceptsAwaitingGradient: true) { result in
            let upstream = result.grad!
            // dA and dB are written whole by their products when there are rows and columns (each batch's
            // slice once, every sum from +0: the bits of adding them onto zeros), so they start uninitialised.
            let writes = batches * m > 0 && n > 0
            func gradient(_ count: Int) -> [Float] {
                writes ? [Float](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
                    : [Float](repeating: 0, count: count)
            }
            var leftGradient = gradient(self.count)
            var rightGradient = gradient(other.count)
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
                                    // dA (rows x K) = dC (rows x N) * B^T;  dB (K x N) = A^T (K x rows) * dC
                                    FastMatrixKernels.productGradients(
                                        upstream: gBase, left: aBase, right: bBase,
                                        leftGradient: da.baseAddress! + batch * m * k,
                                        rightGradient: db.baseAddress! + batch * rightStride,
                                        rows: rows, depth: k, columns: n)
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
