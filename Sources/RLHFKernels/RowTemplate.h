// The one-row product of RowProducts.c for one instruction set, included once per set with:
//   ROW_PREFIX  name prefix of the functions (avx2_row_, avx512_row_, neon_row_)
//   ROW_TARGET  the function attribute that enables the instruction set (empty for a baseline one)
//   ROW_LANES   floats per vector register
//   ROW_GROUP   vectors of columns summed side by side (at most 16; what the registers hold)
// and undefines them at its end.
//
// c[j] = 0 + a[0] B[0, j] + ... + a[depth-1] B[depth-1, j], each output element one chain of rounded
// multiplies and adds in d order (contraction to fused multiply-add is off in RowProducts.c).

typedef float ROW_NAME(vector) __attribute__((ext_vector_type(ROW_LANES)));

static inline __attribute__((always_inline)) ROW_TARGET ROW_NAME(vector) ROW_NAME(load)(const float *p) {
    ROW_NAME(vector) v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

/// `vectors` x ROW_LANES columns of c (`vectors` a constant after inlining, at most 16).
static inline __attribute__((always_inline)) ROW_TARGET void ROW_NAME(group)(
    const int vectors, const float *a, const float *b, long ldb, float *c, long depth) {
    ROW_NAME(vector) acc[16];
    for (int v = 0; v < vectors; v++) acc[v] = (ROW_NAME(vector))0;
    const float *bp = b;
    for (long d = 0; d < depth; d++) {
        ROW_NAME(vector) scale = a[d];
        for (int v = 0; v < vectors; v++) acc[v] = acc[v] + scale * ROW_NAME(load)(bp + v * ROW_LANES);
        bp += ldb;
    }
    for (int v = 0; v < vectors; v++) __builtin_memcpy(c + v * ROW_LANES, &acc[v], sizeof acc[v]);
}

/// Columns [0, columns) of c (a multiple of ROW_LANES), from B's columns at `b` (row stride `ldb`):
/// groups of ROW_GROUP vectors, then one group of the vectors left (one pass over B's rows each).
static ROW_TARGET void ROW_NAME(columns)(const float *a, const float *b, long ldb, float *c, long columns,
                                         long depth) {
    long column = 0;
    for (; column + ROW_GROUP * ROW_LANES <= columns; column += ROW_GROUP * ROW_LANES) {
        ROW_NAME(group)(ROW_GROUP, a, b + column, ldb, c + column, depth);
    }
    const float *rest = b + column;
    float *target = c + column;
    switch ((columns - column) / ROW_LANES) {  // fewer than ROW_GROUP
#define ROW_CASE(n) case n: ROW_NAME(group)(n, a, rest, ldb, target, depth); break;
    ROW_CASE(1) ROW_CASE(2) ROW_CASE(3) ROW_CASE(4) ROW_CASE(5) ROW_CASE(6) ROW_CASE(7)
#if ROW_GROUP > 8
    ROW_CASE(8) ROW_CASE(9) ROW_CASE(10) ROW_CASE(11) ROW_CASE(12) ROW_CASE(13) ROW_CASE(14) ROW_CASE(15)
#endif
#undef ROW_CASE
    default: break;
    }
}

#undef ROW_PREFIX
#undef ROW_TARGET
#undef ROW_LANES
#undef ROW_GROUP
