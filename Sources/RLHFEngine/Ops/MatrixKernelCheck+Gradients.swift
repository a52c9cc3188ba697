extension MatrixKernelCheck {
    /// The two gradient products of C = A B from G (`FastMatrixKernels.productGradients`):
    /// dA (rows x depth) = G B^T and dB (depth x columns) = A^T G, in `kernel`'s tiles, paired on the two
    /// threads from the pair size. The outputs start as NaN, so that a product that read its output
    /// instead of overwriting it shows. With `onCallerOnly`, the products run inside a job that already
    /// holds the pool's worker, so both run on the calling thread (as under RLHF_THREADS=1). The bias sums of
    /// G's columns (the affine map's db) come in the same job, from NaN too.
    public static func productGradients(upstream: [Float], left: [Float], right: [Float],
                                        rows: Int, depth: Int, columns: Int, kernel: MatrixKernel,
                                        onCallerOnly: Bool = false)
        -> (left: [Float], right: [Float], sums: [Float]) {
        precondition(upstream.count == rows * columns && left.count == rows * depth
                     && right.count == depth * columns)
        var leftGradient = [Float](repeating: .nan, count: rows * depth)
        var rightGradient = [Float](repeating: .nan, count: depth * columns)
        var sums = [Float](repeating: .nan, count: columns)
        // Empty arrays may have no buffer: a one-element stand-in is never read.
        let stand = [Float](repeating: 0, count: 1)
        func run() {
            (upstream.isEmpty ? stand : upstream).withUnsafeBufferPointer { g in
                (left.isEmpty ? stand : left).withUnsafeBufferPointer { a in
                    (right.isEmpty ? stand : right).withUnsafeBufferPointer { b in
                        leftGradient.withUnsafeMutableBufferPointer { da in
                            rightGradient.withUnsafeMutableBufferPointer { db in
                                sums.withUnsafeMutableBufferPointer { sums in
                                    guard let da = da.baseAddress, let db = db.baseAddress else { return }
                                    FastMatrixKernels.productGradients(
                                        upstream: g.baseAddress!, left: a.baseAddress!, right: b.baseAddress!,
                                        leftGradient: da, rightGradient: db, biasGradient: sums.baseAddress!,
                                        rows: rows, depth: depth, columns: columns, kernel: kernel)
                                }
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
        return (leftGradient, rightGradient, sums)
    }

    /// The affine map's product y = x W + b (x rows x depth, W depth x columns): each y[i, j] the product's sum,
    /// then + b[j], by `kernel` (`.reference`: the plain loops, then the add row by row; otherwise the bias added
    /// inside the product's chunks, `FastMatrixKernels.multiply(bias:)`).
    public static func affine(_ x: [Float], _ weight: [Float], bias: [Float], rows: Int, depth: Int, columns: Int,
                              kernel: Kernel) -> [Float] {
        precondition(x.count == rows * depth && weight.count == depth * columns && bias.count == columns)
        if kernel == .reference {
            var y = multiply(x, weight, m: rows, k: depth, n: columns, kernel: .reference)
            for row in 0..<rows { for column in 0..<columns { y[row * columns + column] += bias[column] } }
            return y
        }
        let (chosen, minimum) = settings(kernel)
        var y = [Float](repeating: .nan, count: rows * columns)  // every output written: none may be read
        guard !y.isEmpty else { return y }
        // Empty arrays (depth 0) may have no buffer: a one-element stand-in is never read.
        (x.isEmpty ? [0] : x).withUnsafeBufferPointer { x in
            (weight.isEmpty ? [0] : weight).withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    y.withUnsafeMutableBufferPointer { y in
                        FastMatrixKernels.multiply(x.baseAddress!, w.baseAddress!, y.baseAddress!, m: rows, k: depth,
                                                   n: columns, bias: b.baseAddress!, kernel: chosen,
                                                   minimumSplitWork: minimum)
                    }
                }
            }
        }
        return y
    }
}
