// One set of matrix tiles, included once per instruction set by MatrixTiles.c with:
//   PREFIX   name prefix of the functions (avx2_, avx512_, neon_)
//   TARGET   the function attribute that enables the instruction set (empty for a baseline one)
//   LANES    floats per vector register
//   ROWS     rows of C per tile; a tile is ROWS x (2 LANES) accumulators held in registers
// and undefines them at its end.
//
// Output element C[i, j] starts at 0 (overwrite, add-total) or at C[i, j] (accumulate), then takes
// acc = acc + A(i, d) * B(d, j) for d = 0, 1, ..., depth - 1: one rounded multiply, one rounded add,
// in that order, whatever tile or lane holds it (contraction to fused multiply-add is off for this
// file). Add-total then stores C[i, j] + acc.
//
// B is read in panels of 2 LANES columns from a packed copy (see `pack` in MatrixTiles.c), each
// depth x 2 LANES floats in a row, zero-padded past the last column; a product of few rows or a short
// sum (B not transposed) reads its full panels in place and packs only the last, partial one. The sum
// over d is cut into blocks of DEPTH_BLOCK terms, so that a block of one panel stays in the level-1 cache while every
// row of A passes over it. Between blocks a tile's accumulators wait in C (or, for add-total, in a
// scratch strip) and continue from there: a float stored and loaded back is the same float, so each
// element still takes the same terms, in the same order, with the same roundings. A tile of fewer
// than 2 LANES columns works through a small buffer; the padding lanes are never stored. While the
// first strip of rows runs over a panel block, it prefetches the next block (of the panel, else of
// the next panel): a hint to the cache that reads nothing into any sum. A is read in place or, for a
// transposed A, from a copy in strips of the tiles' rows (`block`): the same floats, in the same order.

#define GLUE_(x, y) x##y
#define GLUE(x, y) GLUE_(x, y)
#define NAME(name) GLUE(PREFIX, name)
#define WIDTH (2 * LANES)

typedef float NAME(vector) __attribute__((ext_vector_type(LANES)));

static inline __attribute__((always_inline)) TARGET NAME(vector) NAME(load)(const float *p) {
    NAME(vector) v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) TARGET void NAME(store)(float *p, NAME(vector) v) {
    __builtin_memcpy(p, &v, sizeof v);
}

/// `height` rows by `vectors` (1 or 2) x LANES columns of C, from a panel `b` of B (row stride `ldb`:
/// WIDTH when packed); `height` and `vectors` are constants after inlining.
static inline __attribute__((always_inline)) TARGET void NAME(tile)(
    const int height, const int vectors, const float *a, long aRowStride, long aDepthStride,
    const float *b, long ldb, float *c, long ldc, long depth, int mode, const float *ahead, long aheadStride) {
    NAME(vector) acc[ROWS][2];
    for (int r = 0; r < height; r++) {
        for (int v = 0; v < vectors; v++) {
            acc[r][v] = mode == RLHF_MODE_ACCUMULATE ? NAME(load)(c + r * ldc + v * LANES) : (NAME(vector))0;
        }
    }
    const float *ap = a;
    const float *bp = b;
    // An address, not a pointer: the next block may have fewer rows than this one, and a prefetch past an
    // array's end is harmless while pointer arithmetic past it is undefined in C.
    uintptr_t aheadAddress = (uintptr_t)ahead;
    for (long d = 0; d < depth; d++) {
        NAME(vector) b0 = NAME(load)(bp);
        NAME(vector) b1 = vectors > 1 ? NAME(load)(bp + LANES) : b0;
        for (int r = 0; r < height; r++) {
            NAME(vector) scale = ap[r * aRowStride];
            acc[r][0] = acc[r][0] + scale * b0;
            if (vectors > 1) acc[r][1] = acc[r][1] + scale * b1;
        }
        ap += aDepthStride;
        bp += ldb;
        if (aheadAddress) {  // one row of the next panel block on its way into the cache
            __builtin_prefetch((const void *)aheadAddress);
            __builtin_prefetch((const void *)(aheadAddress + (WIDTH - 1) * sizeof(float)));
            aheadAddress += (uintptr_t)aheadStride * sizeof(float);
        }
    }
    for (int r = 0; r < height; r++) {
        for (int v = 0; v < vectors; v++) {
            float *target = c + r * ldc + v * LANES;
            NAME(store)(target, mode == RLHF_MODE_ADD_TOTAL ? NAME(load)(target) + acc[r][v] : acc[r][v]);
        }
    }
}

/// One tile of `height` rows and `width` (1 ... WIDTH) columns: in place when it fills its vectors,
/// else through a buffer.
static inline __attribute__((always_inline)) TARGET void NAME(anyTile)(
    const int height, const float *a, long aRowStride, long aDepthStride, const float *b, long ldb,
    float *c, long ldc, long width, long depth, int mode, const float *ahead, long aheadStride) {
    if (width == WIDTH) {
        NAME(tile)(height, 2, a, aRowStride, aDepthStride, b, ldb, c, ldc, depth, mode, ahead, aheadStride);
        return;
    }
    if (width == LANES) {
        NAME(tile)(height, 1, a, aRowStride, aDepthStride, b, ldb, c, ldc, depth, mode, ahead, aheadStride);
        return;
    }
    float buffer[ROWS * WIDTH] = {0};
    for (int r = 0; r < height; r++) {
        for (long lane = 0; lane < width; lane++) buffer[r * WIDTH + lane] = c[r * ldc + lane];
    }
    if (width < LANES) {
        NAME(tile)(height, 1, a, aRowStride, aDepthStride, b, ldb, buffer, WIDTH, depth, mode, ahead, aheadStride);
    } else {
        NAME(tile)(height, 2, a, aRowStride, aDepthStride, b, ldb, buffer, WIDTH, depth, mode, ahead, aheadStride);
    }
    for (int r = 0; r < height; r++) {
        for (long lane = 0; lane < width; lane++) c[r * ldc + lane] = buffer[r * WIDTH + lane];
    }
}

/// One block of depth (`depth` terms from A's column `start`, the panel block `b`) for rows < `rows`
/// of a panel `width` wide: strips of ROWS rows, then 4, then 1. A is read in place (a + row * aRowStride
/// + (start + d) * aDepthStride), or with `aPacked` from its strips (see `packRows` in MatrixTiles.c):
/// the strip of height h at row r holds A(r + i, d) at a[r * aTotalDepth + d * h + i]. The first strip
/// also prefetches `depth` rows of the next panel block (`ahead`, row stride `aheadStride`; none when
/// null), so that they arrive from memory while this block computes; a prefetch changes no value.
static TARGET void NAME(block)(const float *a, long aRowStride, long aDepthStride, int aPacked, long aTotalDepth,
                               long start, const float *b, long ldb, float *c, long ldc, long rows, long width,
                               long depth, int mode, const float *ahead, long aheadStride) {
#define STRIP_A(height) \
    (aPacked ? a + row * aTotalDepth + start * (height) : a + row * aRowStride + start * aDepthStride)
#define STRIP_ROW_STRIDE (aPacked ? 1 : aRowStride)
#define STRIP_DEPTH_STRIDE(height) (aPacked ? (height) : aDepthStride)
    long row = 0;
    for (; row + ROWS <= rows; row += ROWS) {
        NAME(anyTile)(ROWS, STRIP_A(ROWS), STRIP_ROW_STRIDE, STRIP_DEPTH_STRIDE(ROWS), b, ldb, c + row * ldc, ldc,
                      width, depth, mode, row == 0 ? ahead : 0, aheadStride);
    }
    for (; row + 4 <= rows; row += 4) {
        NAME(anyTile)(4, STRIP_A(4), STRIP_ROW_STRIDE, STRIP_DEPTH_STRIDE(4), b, ldb, c + row * ldc, ldc, width,
                      depth, mode, row == 0 ? ahead : 0, aheadStride);
    }
    for (; row < rows; row++) {
        NAME(anyTile)(1, STRIP_A(1), STRIP_ROW_STRIDE, STRIP_DEPTH_STRIDE(1), b, ldb, c + row * ldc, ldc, width,
                      depth, mode, row == 0 ? ahead : 0, aheadStride);
    }
#undef STRIP_A
#undef STRIP_ROW_STRIDE
#undef STRIP_DEPTH_STRIDE
}

/// Where panel `panel` of B starts and its row stride: in place from `b` when given and the panel is
/// full, else in `packed` (every panel, or only the last partial one when `b` is given).
static inline __attribute__((always_inline)) TARGET const float *NAME(panelStart)(
    const float *b, long ldb, const float *packed, long columns, long depth, long panel, long *stride) {
    long column = panel * WIDTH;
    int full = columns - column >= WIDTH;
    *stride = b && full ? ldb : WIDTH;
    return b ? (full ? b + column : packed) : packed + panel * depth * WIDTH;
}

/// Panels first, last - 1 of B, for every row of C. `c` points at C's column 0. B is read from
/// `packed` (every panel, or with `b` given, only the last partial one) and else in place from `b`
/// (row stride `ldb`). `scratch` (rows x WIDTH floats) holds add-total's sums while more than one
/// depth block runs. With `aPacked`, A is read from its packed strips (see `block`).
static TARGET void NAME(panels)(const float *a, long aRowStride, long aDepthStride, int aPacked, const float *b,
                                long ldb, const float *packed, float *c, long ldc, long rows, long columns, long depth,
                                int mode, long first, long last, float *scratch) {
    for (long panel = first; panel < last; panel++) {
        long column = panel * WIDTH;
        long width = columns - column < WIDTH ? columns - column : WIDTH;
        long panelStride, nextStride = 0;
        const float *panelStart = NAME(panelStart)(b, ldb, packed, columns, depth, panel, &panelStride);
        const float *next = panel + 1 < last
            ? NAME(panelStart)(b, ldb, packed, columns, depth, panel + 1, &nextStride) : 0;
        float *target = c + column;
        long targetStride = ldc;
        int separate = mode == RLHF_MODE_ADD_TOTAL && depth > DEPTH_BLOCK;
        if (separate) {
            target = scratch;
            targetStride = WIDTH;
        }
        long start = 0;
        do {  // at least once: with depth 0, overwrite still stores 0 and add-total C + 0
            long count = depth - start < DEPTH_BLOCK ? depth - start : DEPTH_BLOCK;
            int blockMode = start > 0 ? RLHF_MODE_ACCUMULATE : (separate ? RLHF_MODE_OVERWRITE : mode);
            // The block after this one: the next depth block of this panel, else the next panel's first.
            int more = start + count < depth;
            const float *ahead = more ? panelStart + (start + count) * panelStride : next;
            NAME(block)(a, aRowStride, aDepthStride, aPacked, depth, start, panelStart + start * panelStride,
                        panelStride, target, targetStride, rows, separate ? WIDTH : width, count, blockMode, ahead,
                        more ? panelStride : nextStride);
            start += count;
        } while (start < depth);
        if (separate) {
            for (long r = 0; r < rows; r++) {
                for (long lane = 0; lane < width; lane++) {
                    c[r * ldc + column + lane] = c[r * ldc + column + lane] + scratch[r * WIDTH + lane];
                }
            }
        }
    }
}

/// sums[column] = 0 + x[0, column] + x[1, column] + ... (rows in order) for each column of a (rows x width)
/// row-major x: 4 LANES columns at a time in four vectors (independent chains, so that each add waits for its
/// own lane's last one only), then LANES, then the last columns alone; each lane its own column's IEEE adds in
/// row order. The bits of the engine's `Tensor.columnSums`.
static TARGET void NAME(columnSums)(const float *x, long rows, long width, float *sums) {
    long column = 0;
    for (; column + 4 * LANES <= width; column += 4 * LANES) {
        NAME(vector) total0 = 0, total1 = 0, total2 = 0, total3 = 0;
        for (long row = 0; row < rows; row++) {
            const float *source = x + row * width + column;
            total0 = total0 + NAME(load)(source);
            total1 = total1 + NAME(load)(source + LANES);
            total2 = total2 + NAME(load)(source + 2 * LANES);
            total3 = total3 + NAME(load)(source + 3 * LANES);
        }
        NAME(store)(sums + column, total0);
        NAME(store)(sums + column + LANES, total1);
        NAME(store)(sums + column + 2 * LANES, total2);
        NAME(store)(sums + column + 3 * LANES, total3);
    }
    for (; column + LANES <= width; column += LANES) {
        NAME(vector) total = 0;
        for (long row = 0; row < rows; row++) total = total + NAME(load)(x + row * width + column);
        NAME(store)(sums + column, total);
    }
    for (; column < width; column++) {
        float total = 0;
        for (long row = 0; row < rows; row++) total = total + x[row * width + column];
        sums[column] = total;
    }
}

#undef NAME
#undef PREFIX
#undef TARGET
#undef LANES
#undef ROWS
#undef WIDTH
#undef GLUE
#undef GLUE_
