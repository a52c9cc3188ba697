// The vector helpers of the row-wise kernels (LayerNormTemplate.h, SoftmaxTemplate.h), included by RowLanes.c
// once per instruction set with PREFIX (name prefix: avx2_, avx512_), TARGET (the function attribute that
// enables the instruction set) and LANES (floats per vector, 8 or 16), after it defines the vector types
// NAME(floats) and NAME(ints) (lane masks, 0 or -1), and these two, which touch only the lanes whose mask is -1
// (the others read as 0 or are left as they are), so nothing past a row is ever read or written:
//   NAME(loadMasked)(p, mask)            lane i = p[i]
//   NAME(storeMasked)(p, v, mask)        p[i] = lane i
//
// Two shapes of lanes, so that no sum changes its order:
//   one row per lane (a block of LANES rows transposed in registers, 8 x 8 floats at a time, into a small buffer
//   of columns) for each row's sums over its columns, which then run column by column in order exactly as the
//   engine's loops take them, one term per step in every lane;
//   one column per lane (runs of a row, or of a column's values down the rows) where each value stands alone or
//   a column's sum runs over the rows.

#define GLUE_(x, y) x##y
#define GLUE(x, y) GLUE_(x, y)
#define NAME(name) GLUE(PREFIX, name)

#include "LaneVectors.h"

/// The mask of lanes i < n (every lane when n >= LANES).
static inline __attribute__((always_inline)) TARGET NAME(ints) NAME(below)(long n) {
    NAME(ints) index;
    for (int lane = 0; lane < LANES; lane++) index[lane] = lane;
    return index < (int)(n < LANES ? n : LANES);
}

/// p[0 ..< min(n, LANES)] (the other lanes 0), and its store.
static inline __attribute__((always_inline)) TARGET NAME(floats) NAME(loadPart)(const float *p, long n) {
    return n >= LANES ? NAME(load)(p) : NAME(loadMasked)(p, NAME(below)(n));
}

static inline __attribute__((always_inline)) TARGET void NAME(storePart)(float *p, NAME(floats) v, long n) {
    if (n >= LANES) {
        NAME(store)(p, v);
    } else {
        NAME(storeMasked)(p, v, NAME(below)(n));
    }
}

/// Columns per transposed piece of a block of rows: LANES x 128 floats (8 KiB with AVX-512) on the stack.
#define CHUNK 128

typedef float NAME(eight) __attribute__((ext_vector_type(8)));

/// The first k (1 ... 8) floats from p, the rest 0.
static inline __attribute__((always_inline)) TARGET NAME(eight) NAME(loadEight)(const float *p, long k) {
    NAME(eight) v;
    if (k >= 8) {
        __builtin_memcpy(&v, p, sizeof v);
        return v;
    }
    NAME(floats) part = NAME(loadMasked)(p, NAME(below)(k));
#if LANES == 16
    return __builtin_shufflevector(part, part, 0, 1, 2, 3, 4, 5, 6, 7);
#else
    return part;
#endif
}

/// columns[j * LANES + i] = rows[i * stride + j] for rows i < count (0 for count <= i < LANES) and columns
/// j < n (n <= CHUNK): column j of the block as one vector of LANES rows, by 8 x 8 transposes in registers.
static inline __attribute__((always_inline)) TARGET void NAME(transposeRows)(const float *rows, long stride,
                                                                          long count, long n, float *columns) {
    for (long j0 = 0; j0 < n; j0 += 8) {
        const long k = n - j0 < 8 ? n - j0 : 8;
        for (int group = 0; group < LANES / 8; group++) {
            NAME(eight) r[8], t[8], u[8], c[8];
            if (group * 8 >= count) {  // eight rows past the block's last: zeros
                for (int j = 0; j < k; j++) __builtin_memset(columns + (j0 + j) * LANES + group * 8, 0, sizeof c[j]);
                continue;
            }
            for (int i = 0; i < 8; i++) {
                long row = group * 8 + i;
                r[i] = row < count ? NAME(loadEight)(rows + row * stride + j0, k) : (NAME(eight))0;
            }
            for (int i = 0; i < 8; i += 2) {
                t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
                t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
            }
            for (int i = 0; i < 8; i += 4) {
                for (int h = 0; h < 2; h++) {
                    u[i + 2 * h] = __builtin_shufflevector(t[i + h], t[i + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
                    u[i + 2 * h + 1] = __builtin_shufflevector(t[i + h], t[i + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
                }
            }
            for (int i = 0; i < 4; i++) {
                c[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
                c[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
            }
            for (int j = 0; j < k; j++) __builtin_memcpy(columns + (j0 + j) * LANES + group * 8, &c[j], sizeof c[j]);
        }
    }
}

#include "ExpLanes.h"
