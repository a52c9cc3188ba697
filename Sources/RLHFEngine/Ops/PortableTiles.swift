/// The portable tiles of `FastMatrixKernels`: 6 x 8 blocks of C held in `SIMD8<Float>` while the shared index
/// runs, each element taking acc = acc + A(i, d) * B(d, j) for d = 0, 1, ..., depth - 1 (one IEEE multiply,
/// one IEEE add, no fused multiply-add), as the loops of `MatrixKernels`. SIMD8's lanes are independent IEEE
/// operations on every machine (SSE on baseline x86-64, NEON on arm64), so these are the bits everywhere.
extension FastMatrixKernels {
    /// C op= A B in 6 x 8 blocks, then rows one at a time; a last partial block of columns reads a padded panel.
    static func portableTiles(
        a: UnsafePointer<Float>, aRowStride: Int, aDepthStride: Int,
        b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
        rows: Int, columns: Int, depth: Int, mode: Mode
    ) {
        // The last, partial block of columns of B is copied once into a zero-padded
        // (depth x 8) panel, so that every step of the tiles loads eight lanes; the
        // padding lanes are never stored.
        let fullColumns = columns - columns % columnBlock
        let panel: UnsafeMutablePointer<Float>? = fullColumns < columns
            ? .allocate(capacity: Swift.max(depth * columnBlock, 1)) : nil
        defer { panel?.deallocate() }
        if let panel {
            let width = columns - fullColumns
            for d in 0..<depth {
                for lane in 0..<columnBlock {
                    panel[d * columnBlock + lane] = lane < width ? b[d * ldb + fullColumns + lane] : 0
                }
            }
        }
        // Rows go six at a time (the most that fit the registers of x86_64's SSE with
        // eight columns), then one at a time: the block sizes never change a sum.
        var row = 0
        while row < rows {
            let height = rows - row >= rowBlock ? rowBlock : 1
            var column = 0
            while column < columns {
                let width = Swift.min(columnBlock, columns - column)
                // Full blocks read B in place; the partial one reads the padded panel.
                let (source, stride) = width == columnBlock ? (b + column, ldb) : (UnsafePointer(panel!), columnBlock)
                if height == rowBlock {
                    tile6(a: a + row * aRowStride, aRowStride: aRowStride, aDepthStride: aDepthStride,
                          b: source, ldb: stride, c: c + row * ldc + column, ldc: ldc,
                          width: width, depth: depth, mode: mode)
                } else {
                    tile1(a: a + row * aRowStride, aDepthStride: aDepthStride, b: source, ldb: stride,
                          c: c + row * ldc + column, width: width, depth: depth, mode: mode)
                }
                column += width
            }
            row += height
        }
    }

    /// Loads `width` (<= 8) floats; the lanes past `width` are 0 and never stored.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ width: Int) -> SIMD8<Float> {
        if width == columnBlock { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>(repeating: 0)
        for lane in 0..<width { v[lane] = p[lane] }
        return v
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ width: Int) {
        if width == columnBlock {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
        } else {
            for lane in 0..<width { p[lane] = v[lane] }
        }
    }

    @inline(__always)
    static func start(_ p: UnsafeMutablePointer<Float>, _ width: Int, _ mode: Mode) -> SIMD8<Float> {
        mode == .accumulate ? load(p, width) : SIMD8<Float>(repeating: 0)
    }

    @inline(__always)
    static func finish(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ width: Int, _ mode: Mode) {
        store(mode == .addTotal ? load(p, width) + v : v, p, width)
    }

    /// Six rows by up to eight columns of C; B (depth x 8 readable lanes) has stride ldb.
    /// Each row's accumulator takes the same terms in the same order as in `tile4` and `tile1`.
    @inline(__always)
    static func tile6(
        a: UnsafePointer<Float>, aRowStride: Int, aDepthStride: Int,
        b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
        width: Int, depth: Int, mode: Mode
    ) {
        var c0 = start(c, width, mode)
        var c1 = start(c + ldc, width, mode)
        var c2 = start(c + 2 * ldc, width, mode)
        var c3 = start(c + 3 * ldc, width, mode)
        var c4 = start(c + 4 * ldc, width, mode)
        var c5 = start(c + 5 * ldc, width, mode)
        var ap = a
        var bp = b
        for _ in 0..<depth {
            let bv = UnsafeRawPointer(bp).loadUnaligned(as: SIMD8<Float>.self)
            c0 += ap[0] * bv
            c1 += ap[aRowStride] * bv
            c2 += ap[2 * aRowStride] * bv
            c3 += ap[3 * aRowStride] * bv
            c4 += ap[4 * aRowStride] * bv
            c5 += ap[5 * aRowStride] * bv
            ap += aDepthStride
            bp += ldb
        }
        finish(c0, c, width, mode)
        finish(c1, c + ldc, width, mode)
        finish(c2, c + 2 * ldc, width, mode)
        finish(c3, c + 3 * ldc, width, mode)
        finish(c4, c + 4 * ldc, width, mode)
        finish(c5, c + 5 * ldc, width, mode)
    }

    /// One row by up to eight columns of C; B (depth x 8 readable lanes) has stride ldb.
    @inline(__always)
    static func tile1(
        a: UnsafePointer<Float>, aDepthStride: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, width: Int, depth: Int, mode: Mode
    ) {
        var c0 = start(c, width, mode)
        var ap = a
        var bp = b
        for _ in 0..<depth {
            c0 += ap[0] * UnsafeRawPointer(bp).loadUnaligned(as: SIMD8<Float>.self)
            ap += aDepthStride
            bp += ldb
        }
        finish(c0, c, width, mode)
    }
}
