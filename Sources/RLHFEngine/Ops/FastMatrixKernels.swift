import RLHFKernels

/// Register-blocked matrix products on raw row-major buffers, bit-identical to
/// `MatrixKernels`.
///
/// What they compute is exactly what the reference kernels compute, element by element:
///   multiply:                C[i,j]  = 0 (or C[i,j] when accumulating) + A[i,0] B[0,j] + A[i,1] B[1,j] + ...
///   multiplyTransposedRight: C[i,p] += (0 + A[i,0] B[p,0] + A[i,1] B[p,1] + ...)
///   multiplyTransposedLeft:  C[p,j]  = C[p,j] + A[0,p] B[0,j] + A[1,p] B[1,j] + ...
/// Every sum is taken left to right, one IEEE multiply and one IEEE add per term (no
/// fused multiply-add), in the same order as the three nested loops of `MatrixKernels`.
/// Only the order in which *different* output elements are computed changes: a block of
/// C is held in registers while the shared index runs. The portable tiles here hold 6 rows
/// x 8 columns in `SIMD8<Float>` (whose lanes are independent IEEE operations on every
/// machine); where the processor has them, the wider tiles of RLHFKernels (AVX2, AVX-512,
/// NEON, chosen once at start-up as `MatrixKernel.selected`) do the same with more lanes.
/// So the result is the same bits on every machine, and an output element never depends on
/// how many rows the product has, where its row falls in a block, or which thread of a
/// split product computed it. (A last block of fewer than 8 columns reads B from a
/// zero-padded copy; leftover rows run one at a time. Neither changes any sum.)
enum FastMatrixKernels {
    /// How a block of C is started and finished.
    enum Mode: Int32 {
        /// C = sum (the sum starts at 0).
        case overwrite = 0
        /// C = C + terms, adding each term into C in turn (the sum starts at C).
        case accumulate = 1
        /// C = C + sum, the sum formed first from 0 and then added once.
        case addTotal = 2
    }

    static let rowBlock = 6
    static let columnBlock = 8

    /// C (m x n) = A (m x k) * B (k x n), or C += A * B when `accumulate`; with `bias` (n floats), then
    /// C[i, j] = C[i, j] + bias[j] (the affine map's second rounding), each row once its sums are stored.
    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int, accumulate: Bool = false, bias: UnsafePointer<Float>? = nil,
        kernel: MatrixKernel = .selected, minimumSplitWork: Int = splitThreshold
    ) {
        blocked(a: a, aRowStride: k, aDepthStride: 1, b: b, ldb: n, c: c, ldc: n,
                rows: m, columns: n, depth: k, mode: accumulate ? .accumulate : .overwrite, bias: bias,
                kernel: kernel, minimumSplitWork: minimumSplitWork)
    }

    /// C (m x k) += A (m x n) * B^T, with B stored (k x n); with `overwriting`, C = A * B^T (C may start
    /// uninitialised: the bits of adding onto zeros, as a sum from +0 is never -0 and 0 + S is S).
    static func multiplyTransposedRight(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, overwriting: Bool = false, kernel: MatrixKernel = .selected,
        minimumSplitWork: Int = splitThreshold
    ) {
        let mode: Mode = overwriting ? .overwrite : .addTotal
        guard m > 0 && k > 0 else { return }
        // The tiles of RLHFKernels read B^T in place (packing it into their panels).
        if kernel != .portable
            && rlhf_product(kernel.rawValue, a, n, 1, b, 1, n, c, k, m, k, n, mode.rawValue,
                            m * k * Swift.max(n, 1) >= minimumSplitWork ? 1 : 0) != 0 {
            return
        }
        // B^T packed (n x k), so that a row of it is a run of outputs.
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(n * k, 1))
        defer { packed.deallocate() }
        for p in 0..<k {
            for j in 0..<n { packed[j * k + p] = b[p * n + j] }
        }
        blocked(a: a, aRowStride: n, aDepthStride: 1, b: packed, ldb: k, c: c, ldc: k,
                rows: m, columns: k, depth: n, mode: mode, kernel: kernel, minimumSplitWork: minimumSplitWork)
    }

    /// C (k x n) += A^T * B, with A stored (m x k) and B stored (m x n).
    static func multiplyTransposedLeft(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int, kernel: MatrixKernel = .selected, minimumSplitWork: Int = splitThreshold
    ) {
        // Output row p reads column p of A: stride 1 between rows, k along the sum.
        blocked(a: a, aRowStride: 1, aDepthStride: k, b: b, ldb: n, c: c, ldc: n,
                rows: k, columns: n, depth: m, mode: .accumulate, kernel: kernel, minimumSplitWork: minimumSplitWork)
    }

    /// Products of at least this many multiply-adds (rows x columns x depth) are split between
    /// the two threads of `WorkerPool`; smaller ones cost less than the hand-over. 2^17 keeps generation's
    /// prompt feeds at the default size (8 rows; rows x depth x columns 8 x 48 x 160 into c_attn's padded
    /// columns, 8 x 48 x 192, 8 x 192 x 64) on one thread, while the training products (a few hundred
    /// rows) are still split: in alternated `rlhf bench --quick` runs generation took 12 ms against 17 ms
    /// at 2^16 on the loaded machine.
    static let splitThreshold = 1 << 17

    /// From this many multiply-adds in each (rows x depth x columns), the two gradient products of
    /// `productGradients` run as one job on both of `WorkerPool`'s threads instead of one after the other on
    /// the caller: half the split threshold, so that the two together reach it. (Below it, neither product
    /// reaches the split threshold, so neither is split.)
    static let pairThreshold = splitThreshold / 2

    /// The two gradients of C = A B, A (rows x depth), B (depth x columns), from G = dL/dC:
    ///   dA (rows x depth) = G B^T    (`multiplyTransposedRight`, overwriting: dA may start uninitialised)
    ///   dB (depth x columns) = A^T G (`multiplyTransposedLeft`'s product, overwriting: C = 0 + terms)
    /// and, with `biasGradient`, db[j] = 0 + G[0, j] + G[1, j] + ... (rows in order: `Tensor.columnSums`).
    /// The products are independent: from `pairThreshold` RLHFKernels' tiles run them as one job
    /// (`rlhf_product_gradients`), each cut into its chunks as a split product is (a dB of fewer than 64 rows by
    /// panels of columns: one a chunk up to 8, else 8 near-equal runs of them) and the two threads claiming them
    /// longest first, the bias sums last; the portable tiles run dA on the caller and dB then the sums on the
    /// worker (both on the caller when the worker is taken). Below it everything runs on the caller, one after
    /// the other. Every element's sum is the same in any case (no product's bits depend on a chunk or a
    /// thread), and the choice depends only on the sizes.
    static func productGradients(
        upstream g: UnsafePointer<Float>, left a: UnsafePointer<Float>, right b: UnsafePointer<Float>,
        leftGradient da: UnsafeMutablePointer<Float>, rightGradient db: UnsafeMutablePointer<Float>,
        biasGradient sums: UnsafeMutablePointer<Float>? = nil, rows: Int, depth: Int, columns: Int,
        kernel: MatrixKernel = .selected
    ) {
        let paired = rows * depth * columns >= pairThreshold
        if kernel != .portable
            && rlhf_product_gradients(kernel.rawValue, g, a, b, da, db, sums, rows, depth, columns,
                                      paired ? 1 : 0) != 0 {
            return
        }
        func left() {
            multiplyTransposedRight(g, b, da, m: rows, n: columns, k: depth, overwriting: true, kernel: kernel,
                                    minimumSplitWork: .max)
        }
        func right() {
            blocked(a: a, aRowStride: 1, aDepthStride: depth, b: g, ldb: columns, c: db, ldc: columns,
                    rows: depth, columns: columns, depth: rows, mode: .overwrite, kernel: kernel,
                    minimumSplitWork: .max)
            if let sums { Tensor.columnSums(g, rows: rows, width: columns, into: sums) }
        }
        guard paired else {
            left()
            right()
            return
        }
        WorkerPool.runTwo { part in part == 0 ? left() : right() }
    }

    /// C (rows x columns) op= sum over d < depth of A(row, d) * B(d, column), where
    /// A(row, d) = a[row * aRowStride + d * aDepthStride] and B(d, column) = b[d * ldb + column].
    ///
    /// With rows x columns x depth >= `minimumSplitWork`, C is cut in two, by rows (at a multiple
    /// of 8 near the middle) when it has 16 or more, else by columns (at a multiple of 16), and the
    /// halves run at once on `WorkerPool`'s two threads; RLHFKernels' tiles (`rlhf_product`) cut it
    /// instead into up to 4 chunks of rows (from 16 rows) or of panels of columns, which the two threads
    /// claim in turn. The cut depends only on the sizes, and every output element is summed by one thread
    /// in the one order, so the bits never depend on it. RLHFKernels' tiles pack B once for every chunk
    /// and cut each sum into depth blocks that continue from the stored partial sum: the same terms in
    /// the same order, so the same bits.
    static func blocked(
        a: UnsafePointer<Float>, aRowStride: Int, aDepthStride: Int,
        b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
        rows: Int, columns: Int, depth: Int, mode: Mode, bias: UnsafePointer<Float>? = nil,
        kernel: MatrixKernel = .selected, minimumSplitWork: Int = splitThreshold
    ) {
        guard rows > 0 && columns > 0 else { return }
        let large = rows * columns * Swift.max(depth, 1) >= minimumSplitWork
        // RLHFKernels packs B once and splits the same way (by rows, else by panels of columns), the bias
        // added in each chunk.
        if kernel != .portable
            && rlhf_product_bias(kernel.rawValue, a, aRowStride, aDepthStride, b, ldb, 1, c, ldc, rows, columns,
                                 depth, mode.rawValue, large ? 1 : 0, bias) != 0 {
            return
        }
        /// Rows [first, first + count) by columns [column, column + width): the tiles, then the bias.
        func part(rows first: Int, _ count: Int, columns column: Int, _ width: Int) {
            tiles(a: a + first * aRowStride, aRowStride: aRowStride, aDepthStride: aDepthStride, b: b + column,
                  ldb: ldb, c: c + first * ldc + column, ldc: ldc, rows: count, columns: width, depth: depth,
                  mode: mode, kernel: kernel)
            guard let bias else { return }
            for row in first..<(first + count) {
                let target = c + row * ldc
                for index in column..<(column + width) { target[index] = target[index] + bias[index] }
            }
        }
        if large && rows >= 16 {
            let cut = rows / 16 * 8
            WorkerPool.runTwo { half in
                half == 0 ? part(rows: 0, cut, columns: 0, columns) : part(rows: cut, rows - cut, columns: 0, columns)
            }
        } else if large && columns >= 32 {
            let cut = columns / 32 * 16
            WorkerPool.runTwo { half in
                half == 0 ? part(rows: 0, rows, columns: 0, cut) : part(rows: 0, rows, columns: cut, columns - cut)
            }
        } else {
            part(rows: 0, rows, columns: 0, columns)
        }
    }

    /// `blocked` on the calling thread, in the portable tiles (RLHFKernels' run in `rlhf_product`).
    static func tiles(
        a: UnsafePointer<Float>, aRowStride: Int, aDepthStride: Int,
        b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
        rows: Int, columns: Int, depth: Int, mode: Mode, kernel: MatrixKernel
    ) {
        portableTiles(a: a, aRowStride: aRowStride, aDepthStride: aDepthStride, b: b, ldb: ldb, c: c, ldc: ldc,
                      rows: rows, columns: columns, depth: depth, mode: mode)
    }
}
