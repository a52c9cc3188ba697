// The vector helpers of the row-wise kernels (LayerNormTemplate.h, SoftmaxTemplate.h), included by RowLanes.c
// once per instruction set with PREFIX (name prefix: avx2_, avx512_), TARGET (the function attribute that
// enables the instruction set) and LANES (floats per vector), after it defines the vector types NAME(floats)
// and NAME(ints) (lane masks, 0 or -1), and these three, which touch only the lanes whose mask is -1 (the
// others read as 0 or are left as they are), so nothing past a row or a block of rows is ever read or written:
//   NAME(loadMasked)(p, mask)            lane i = p[i]
//   NAME(storeMasked)(p, v, mask)        p[i] = lane i
//   NAME(gather)(p, stride, mask)        lane i = p[i * stride]: one column of LANES rows `stride` apart
//
// Two shapes of lanes, so that no sum changes its order:
//   one row per lane (a column of LANES rows by `gather`) for each row's sums over its columns, which then run
//   column by column in order exactly as the engine's loops take them, one term per step in every lane;
//   one column per lane (runs of a row, or of a column's values down the rows) where each value stands alone or
//   a column's sum runs over the rows.

#define GLUE_(x, y) x##y
#define GLUE(x, y) GLUE_(x, y)
#define NAME(name) GLUE(PREFIX, name)

typedef double NAME(doubles) __attribute__((ext_vector_type(LANES)));
typedef long NAME(longs) __attribute__((ext_vector_type(LANES)));

static inline __attribute__((always_inline)) TARGET NAME(floats) NAME(load)(const float *p) {
    NAME(floats) v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) TARGET void NAME(store)(float *p, NAME(floats) v) {
    __builtin_memcpy(p, &v, sizeof v);
}

/// mask ? yes : no, lane by lane.
static inline __attribute__((always_inline)) TARGET NAME(floats) NAME(select)(NAME(ints) mask, NAME(floats) yes,
                                                                           NAME(floats) no) {
    return (NAME(floats))((mask & (NAME(ints))yes) | (~mask & (NAME(ints))no));
}

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

#include "ExpLanes.h"
