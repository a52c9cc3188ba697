extension MatrixKernelCheck {
    /// The two gradient products of C = A B from G (`FastMatrixKernels.productGradients`):
    /// dA (rows x depth) = G B^T and dB (depth x columns) = A^T G, in `kernel`'s tiles, paired on the two
    /// threads from the pair size. The outputs start as NaN, so that a product that read its output
    /// instead of overwriting it shows. With `onCallerOnly`, the products run inside a job that already
    /// holds the pool's worker, so both run on the calling thread (as under RLHF_THREADS=1).
    public static func productGradients(upstream: [Float], left: [Float], right: [Float],
                                        rows: Int, depth: Int, columns: Int, kernel: MatrixKernel,
                                        onCallerOnly: Bool = false) -> (left: [Float], right: [Float]) {
        precondition(upstream.count == rows * columns && left.count == rows * depth
                     && right.count == depth * columns)
        var leftGradient = [Float](repeating: .nan, count: rows * depth)
        var rightGradient = [Float](repeating: .nan, count: depth * columns)
        // Empty arrays may have no buffer: a one-element stand-in is never read.
        let stand = [Float](repeating: 0, count: 1)
        func run() {
            (upstream.isEmpty ? stand : upstream).withUnsafeBufferPointer { g in
                (left.isEmpty ? stand : left).withUnsafeBufferPointer { a in
                    (right.isEmpty ? stand : right).withUnsafeBufferPointer { b in
                        leftGradient.withUnsafeMutableBufferPointer { da in
                            rightGradient.withUnsafeMutableBufferPointer { db in
                                guard let da = da.baseAddress, let db = db.baseAddress else { return }
                                FastMatrixKernels.productGradients(
                                    upstream: g.baseAddress!, left: a.baseAddress!, right: b.baseAddress!,
                                    leftGradient: da, rightGradient: db, rows: rows, depth: depth,
                                    columns: columns, kernel: kernel)
                            }
                        }
                    }
                }
            }
        }
        if onCallerOnly {
            WorkerPool.runTwo { part in if part == 0 { run() } }
        } else {
            run()
        }
        return (leftGradient, rightGradient)
    }
}
