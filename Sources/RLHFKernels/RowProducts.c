// One-row matrix products (the decoder's one new position per step): c (1 x columns) = a (1 x depth) B.
//
// Output element c[j] = 0 + a[0] B[0, j] + a[1] B[1, j] + ... + a[depth-1] B[depth-1, j]: one IEEE multiply
// and one IEEE add per term, in d order, from +0, exactly the sum the tiles of TileTemplate.h (and the
// engine's portable tiles) take for a row of an overwrite product; only the number of output columns held
// in registers at once differs. A tile of one row holds 2 vectors, so its adds wait on each other (a
// vector add's latency is several cycles); here up to 16 vectors (8 with AVX2's 16 registers) run side by
// side, each still one element's chain of adds in d order. With `split`, the columns are cut once, at a
// multiple of 16 near the middle (none below 32 columns), and the halves run on the caller and the pool's
// worker (each reads half of B: a product whose weights come from beyond the level-2 cache gets two cores'
// bandwidth); the cut depends only on `columns`. rlhf_row_columns takes any multiple of 16 columns (every
// kernel's lanes divide 16), so the decoder reads only a padded layer's real columns (48 of 64, 144 of 160)
// instead of its panels.
#include "RLHFKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// One IEEE multiply and one IEEE add per term, never a fused multiply-add.
#pragma clang fp contract(off)

#define ROW_GLUE_(x, y) x##y
#define ROW_GLUE(x, y) ROW_GLUE_(x, y)
#define ROW_NAME(name) ROW_GLUE(ROW_PREFIX, name)

#if defined(__x86_64__)
#define ROW_PREFIX avx2_row_
#define ROW_TARGET __attribute__((target("avx2")))
#define ROW_LANES 8
#define ROW_GROUP 8
#include "RowTemplate.h"

#define ROW_PREFIX avx512_row_
#define ROW_TARGET __attribute__((target("avx512f")))
#define ROW_LANES 16
#define ROW_GROUP 16
#include "RowTemplate.h"
#endif

#if defined(__aarch64__)
#define ROW_PREFIX neon_row_
#define ROW_TARGET
#define ROW_LANES 4
#define ROW_GROUP 16
#include "RowTemplate.h"
#endif

/// One product's operands, for the halves of a split one.
struct row_product {
    int kernel;
    const float *a;
    const float *b;
    long ldb;
    float *c;
    long columns, depth, cut;
};

/// Columns [first, first + count) of a row product in `kernel`'s lanes.
static void row_part(const struct row_product *p, long first, long count) {
    switch (p->kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2: avx2_row_columns(p->a, p->b + first, p->ldb, p->c + first, count, p->depth); break;
    case RLHF_KERNEL_AVX512: avx512_row_columns(p->a, p->b + first, p->ldb, p->c + first, count, p->depth); break;
#endif
#if defined(__aarch64__)
    case RLHF_KERNEL_NEON: neon_row_columns(p->a, p->b + first, p->ldb, p->c + first, count, p->depth); break;
#endif
    default: break;
    }
}

static void row_half(void *context, long part) {
    const struct row_product *p = context;
    if (part == 0) {
        row_part(p, 0, p->cut);
    } else {
        row_part(p, p->cut, p->columns - p->cut);
    }
}

int rlhf_row_product(int kernel, const float *a, const float *b, long ldb, float *c, long columns, long depth,
                     int split) {
    if (columns % 32 != 0) return 0;
    return rlhf_row_columns(kernel, a, b, ldb, c, columns, depth, split);
}

int rlhf_row_columns(int kernel, const float *a, const float *b, long ldb, float *c, long columns, long depth,
                     int split) {
    if (kernel == RLHF_KERNEL_PORTABLE || !rlhf_kernel_available(kernel) || columns % 16 != 0) return 0;
    if (columns <= 0) return 1;
    if (depth < 0) depth = 0;
    struct row_product p = {kernel, a, b, ldb, c, columns, depth, columns / 32 * 16};
    if (split && p.cut > 0) {
        rlhf_pool_run_two(row_half, &p);
    } else {
        row_part(&p, 0, columns);
    }
    return 1;
}
