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
// file). Add-total then stores C[i, j] + acc. The last columns (fewer than LANES) read B from a
// zero-padded copy and write C through a small buffer; the padding lanes are never stored.

#define GLUE_(x, y) x##y
#define GLUE(x, y) GLUE_(x, y)
#define NAME(name) GLUE(PREFIX, name)

typedef float NAME(vector) __attribute__((ext_vector_type(LANES)));

static inline __attribute__((always_inline)) TARGET NAME(vector) NAME(load)(const float *p) {
    NAME(vector) v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) TARGET void NAME(store)(float *p, NAME(vector) v) {
    __builtin_memcpy(p, &v, sizeof v);
}

/// `height` rows by `vectors` (1 or 2) x LANES columns of C; both are constants after inlining.
static inline __attribute__((always_inline)) TARGET void NAME(tile)(
    const int height, const int vectors, const float *a, long aRowStride, long aDepthStride,
    const float *b, long ldb, float *c, long ldc, long depth, int mode) {
    NAME(vector) acc[ROWS][2];
    for (int r = 0; r < height; r++) {
        for (int v = 0; v < vectors; v++) {
            acc[r][v] = mode == RLHF_MODE_ACCUMULATE ? NAME(load)(c + r * ldc + v * LANES) : (NAME(vector))0;
        }
    }
    const float *ap = a;
    const float *bp = b;
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
    }
    for (int r = 0; r < height; r++) {
        for (int v = 0; v < vectors; v++) {
            float *target = c + r * ldc + v * LANES;
            NAME(store)(target, mode == RLHF_MODE_ADD_TOTAL ? NAME(load)(target) + acc[r][v] : acc[r][v]);
        }
    }
}

/// One strip of `height` rows across every column; `panel` holds the zero-padded last columns of B.
static inline __attribute__((always_inline)) TARGET void NAME(strip)(
    const int height, const float *a, long aRowStride, long aDepthStride, const float *b, long ldb,
    const float *panel, float *c, long ldc, long columns, long depth, int mode) {
    long column = 0;
    for (; column + 2 * LANES <= columns; column += 2 * LANES) {
        NAME(tile)(height, 2, a, aRowStride, aDepthStride, b + column, ldb, c + column, ldc, depth, mode);
    }
    for (; column + LANES <= columns; column += LANES) {
        NAME(tile)(height, 1, a, aRowStride, aDepthStride, b + column, ldb, c + column, ldc, depth, mode);
    }
    long width = columns - column;
    if (width == 0) return;
    float buffer[ROWS * LANES] = {0};
    for (int r = 0; r < height; r++) {
        for (long lane = 0; lane < width; lane++) buffer[r * LANES + lane] = c[r * ldc + column + lane];
    }
    NAME(tile)(height, 1, a, aRowStride, aDepthStride, panel, LANES, buffer, LANES, depth, mode);
    for (int r = 0; r < height; r++) {
        for (long lane = 0; lane < width; lane++) c[r * ldc + column + lane] = buffer[r * LANES + lane];
    }
}

/// Every tile of C: strips of ROWS rows, then 4, then 1.
static TARGET void NAME(tiles)(const float *a, long aRowStride, long aDepthStride, const float *b, long ldb,
                               float *c, long ldc, long rows, long columns, long depth, int mode, float *panel) {
    long last = columns - columns % LANES;
    if (panel) {
        for (long d = 0; d < depth; d++) {
            for (long lane = 0; lane < LANES; lane++) {
                panel[d * LANES + lane] = last + lane < columns ? b[d * ldb + last + lane] : 0;
            }
        }
    }
    long row = 0;
    for (; row + ROWS <= rows; row += ROWS) {
        NAME(strip)(ROWS, a + row * aRowStride, aRowStride, aDepthStride, b, ldb, panel, c + row * ldc, ldc,
                    columns, depth, mode);
    }
    for (; row + 4 <= rows; row += 4) {
        NAME(strip)(4, a + row * aRowStride, aRowStride, aDepthStride, b, ldb, panel, c + row * ldc, ldc,
                    columns, depth, mode);
    }
    for (; row < rows; row++) {
        NAME(strip)(1, a + row * aRowStride, aRowStride, aDepthStride, b, ldb, panel, c + row * ldc, ldc,
                    columns, depth, mode);
    }
}

#undef NAME
#undef PREFIX
#undef TARGET
#undef LANES
#undef ROWS
#undef GLUE
#undef GLUE_
