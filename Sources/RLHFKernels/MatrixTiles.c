// The matrix tiles of TileTemplate.h for each instruction set, and the choice between them.
//
// x86-64: AVX2 (8 lanes, tiles of 4 x 16) and AVX-512 (16 lanes, tiles of 8 x 32), each compiled for its
// instruction set alone with a function attribute, so the binary still runs on baseline x86-64 and
// uses them only where __builtin_cpu_supports finds them. arm64: NEON (4 lanes, tiles of 8 x 8), part
// of every arm64 processor. Elsewhere none: the engine's portable Swift tiles run.
#include "RLHFKernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// One IEEE multiply and one IEEE add per term, never a fused multiply-add (the bits must equal the
// plain loops' on every machine).
#pragma clang fp contract(off)

/// Terms of a sum per depth block: one block of a packed panel (192 x 2 vectors: 24 KiB with AVX-512)
/// stays in the level-1 cache while the rows of A pass over it.
#define DEPTH_BLOCK 192

/// Products of fewer rows than this, or of at most PACK_DEPTH terms per sum, read B's full panels in
/// place instead of packing them (measured faster there: the weight gradients at width 48 have 48 rows,
/// the forward products at width 48 a depth of 48).
#define PACK_ROWS 64
#define PACK_DEPTH 64

/// Rows of C per AVX2 tile: the template's ROWS and `kernel_rows` both read it.
#define AVX2_TILE_ROWS 4

#if defined(__x86_64__)
#define PREFIX avx2_
#define TARGET __attribute__((target("avx2")))
#define LANES 8
// 4 rows: the 8 sums, the two vectors of B, the broadcast and the product fit the 16 registers. With 6 rows
// (12 sums) clang kept 5 sums on the stack, a store and a reload on each sum's chain every term; on an AMD
// EPYC without AVX-512 (2026-12-02) one thread ran the d192 c_fc forward product at 23 to 36 GFLOP/s with 6
// rows and 36 to 56 with 4 (tools/tile_bench.c, five rounds; rlhf_peak measured 54 to 57 GFLOP/s there).
#define ROWS AVX2_TILE_ROWS
#include "TileTemplate.h"

#define PREFIX avx512_
#define TARGET __attribute__((target("avx512f")))
#define LANES 16
#define ROWS 8
#include "TileTemplate.h"
#endif

#if defined(__aarch64__)
#define PREFIX neon_
#define TARGET
#define LANES 4
#define ROWS 8
#include "TileTemplate.h"
#endif

int rlhf_kernel_available(int kernel) {
    switch (kernel) {
    case RLHF_KERNEL_PORTABLE: return 1;
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2: return __builtin_cpu_supports("avx2");
    case RLHF_KERNEL_AVX512: return __builtin_cpu_supports("avx512f");
#endif
#if defined(__aarch64__)
    case RLHF_KERNEL_NEON: return 1;
#endif
    default: return 0;
    }
}

static const char *const kernel_names[RLHF_KERNEL_COUNT] = {"portable", "avx2", "avx512", "neon"};

int rlhf_kernel_choose(int *forced_unavailable) {
    *forced_unavailable = 0;
    const char *forced = getenv("RLHF_KERNELS");
    if (forced && *forced) {
        for (int kernel = 0; kernel < RLHF_KERNEL_COUNT; kernel++) {
            if (strcmp(forced, kernel_names[kernel]) == 0 && rlhf_kernel_available(kernel)) return kernel;
        }
        *forced_unavailable = 1;
        return RLHF_KERNEL_PORTABLE;
    }
    for (int kernel = RLHF_KERNEL_COUNT - 1; kernel > RLHF_KERNEL_PORTABLE; kernel--) {
        if (rlhf_kernel_available(kernel)) return kernel;
    }
    return RLHF_KERNEL_PORTABLE;
}

/// Rows per tile of `kernel` (its ROWS above).
static long kernel_rows(int kernel) { return kernel == RLHF_KERNEL_AVX2 ? AVX2_TILE_ROWS : 8; }

/// Floats per vector register of `kernel` (0 for the portable kernel, which is not in this library).
static long kernel_lanes(int kernel) {
    switch (kernel) {
    case RLHF_KERNEL_AVX2: return 8;
    case RLHF_KERNEL_AVX512: return 16;
    case RLHF_KERNEL_NEON: return 4;
    default: return 0;
    }
}

#include "PanelPacking.h"

/// One product: its operands, the packed B and the scratch of add-total.
struct product {
    int kernel;
    const float *a;
    long aRowStride, aDepthStride;
    const float *b;  // B read in place (row stride ldb) for its full panels, or null: every panel packed
    long ldb;
    const float *packed;
    float *c;
    long ldc, rows, columns, depth;
    int mode;
    float *scratch;
    long panels;
    long chunks, rowStep;  // split: `chunks` chunks of rows, at multiples of rowStep, or (rowStep 0) of panels
    const float *bias;     // added to each row of C once its sums are stored (C = C + bias), or null
    const float *source;   // B as given (B(d, column) = source[d * sourceDepthStride + column * sourceColumnStride])
    long sourceDepthStride, sourceColumnStride;
    size_t packedCount, scratchCount;  // floats of memory for the packed panels, then for the scratch
};

/// Floats a thread's kept buffer holds on to between products (16 MB); a larger one is freed after its use.
#define WORKING_KEEP ((size_t)1 << 22)

/// A thread's working memory, grown as needed and kept between products up to WORKING_KEEP floats.
struct kept_buffer {
    float *floats;
    size_t count;
};

/// At least `count` floats of `buffer` (null when the allocation fails; the caller then does nothing).
static float *kept_floats(struct kept_buffer *buffer, size_t count) {
    if (count > buffer->count) {
        free(buffer->floats);
        buffer->floats = malloc(sizeof(float) * count);
        buffer->count = buffer->floats ? count : 0;
    }
    return buffer->floats;
}

/// Frees `buffer` when it holds more than WORKING_KEEP floats.
static void kept_trim(struct kept_buffer *buffer) {
    if (buffer->count > WORKING_KEEP) {
        free(buffer->floats);
        buffer->floats = 0;
        buffer->count = 0;
    }
}

#include "TileStrips.h"

/// Chunks a split product is cut into: up to RLHF_CHUNKS (the calling thread and the worker claim them in
/// turn, so the one that finishes first takes more), of rows from CHUNK_LEAST_ROWS rows (about that many rows
/// each, or PACK_A_ROWS for an A copied into strips, which a shorter chunk would read in place, but never three
/// of strips: 192 to 255 rows make two, see plan_product; starts fall at multiples of the tile rows, so with
/// AVX2's 4 a chunk may be a few rows short), else of panels.
#define CHUNK_LEAST_ROWS 16

/// C[row, column] = C[row, column] + bias[column] for rows [first, end) and columns [firstColumn, endColumn):
/// the affine map's second rounding (y = sum + b), after the row's sums are stored.
static void add_bias(const struct product *p, long first, long end, long firstColumn, long endColumn) {
    for (long row = first; row < end; row++) {
        float *target = p->c + row * p->ldc;
        for (long column = firstColumn; column < endColumn; column++) target[column] = target[column] + p->bias[column];
    }
}

/// The rows (with a rowStep) or else the panels [first, end) of chunk `chunk` of a planned product.
static void chunk_bounds(const struct product *p, long chunk, long *first, long *end) {
    long units = p->rowStep > 0 ? p->rows : p->panels, step = p->rowStep > 0 ? p->rowStep : 1;
    *first = rlhf_chunk_start(chunk, p->chunks, units, step);
    *end = rlhf_chunk_start(chunk + 1, p->chunks, units, step);
}

/// Chunk `chunk` of a split product: its rows (at multiples of the kernel's tile rows, so that only the
/// last chunk has shorter strips), or its panels. The chunks are fixed by the sizes alone, and no sum
/// crosses a chunk: each element takes its terms in order from its row of A and its column, in whichever
/// chunk and thread it falls. Add-total's scratch: a chunk of rows uses its rows' strip of it, a chunk of
/// panels (each over all the rows) a strip of its own. The bias, if any, lands on the chunk's outputs after
/// their sums.
static void run_chunk(void *context, long chunk) {
    const struct product *p = context;
    long width = 2 * kernel_lanes(p->kernel), first, end;
    chunk_bounds(p, chunk, &first, &end);
    if (p->rowStep > 0) {
        if (end > first) run_part(p, first, end - first, 0, p->panels, p->scratch ? p->scratch + first * width : 0);
        if (p->bias) add_bias(p, first, end, 0, p->columns);
    } else {
        float *scratch = p->scratch ? p->scratch + chunk * p->rows * width : 0;
        if (end > first) run_part(p, 0, p->rows, first, end, scratch);
        long endColumn = end * width < p->columns ? end * width : p->columns;
        if (p->bias && end > first) add_bias(p, 0, p->rows, first * width, endColumn);
    }
}

/// A product as rlhf_product_bias takes it, planned (`p` filled but for its memory): whether B is read in
/// place, the chunks (1 unless `split`) and the floats of memory it needs (packed panels, then add-total's
/// scratch), all from the sizes alone. Returns 0 for the portable kernel or one this processor lacks.
static int plan_product(struct product *p, int kernel, const float *a, long aRowStride, long aDepthStride,
                        const float *b, long bDepthStride, long bColumnStride, float *c, long ldc, long rows,
                        long columns, long depth, int mode, int split, const float *bias) {
    if (kernel == RLHF_KERNEL_PORTABLE || !rlhf_kernel_available(kernel)) return 0;
    if (depth < 0) depth = 0;
    long width = 2 * kernel_lanes(kernel);
    long panels = (columns + width - 1) / width;
    // Packing costs a pass over B: it pays when many rows read each panel of a deep sum. With few rows
    // (generation's one token per sequence) or a short sum the full panels are read in place and only the
    // last, partial one is packed.
    int inPlace = (rows < PACK_ROWS || depth <= PACK_DEPTH) && bColumnStride == 1;
    // Split by rows from 16 rows, else by panels from 2 panels; the count depends on the sizes alone.
    struct product shape = {.aRowStride = aRowStride, .aDepthStride = aDepthStride, .depth = depth, .panels = panels};
    long leastRows = strips_pay(&shape, PACK_A_ROWS) ? PACK_A_ROWS : CHUNK_LEAST_ROWS;
    long rowChunks = rows / leastRows < RLHF_CHUNKS ? rows / leastRows : RLHF_CHUNKS;
    if (rows >= CHUNK_LEAST_ROWS && rowChunks < 2) rowChunks = 2;  // halves, as products of 16 or more rows always had
    // Three long chunks of strips leave one thread idle for the last third: 192 to 255 rows make two instead (the
    // d192 weight gradients of 192 rows, 192 x 768 x 768 split over both threads: 101 to 105 GFLOP/s in three
    // chunks, 119 to 123 in two, tools/tile_bench.c's d192 batch 64 shapes, two rounds, the Intel machine). In the
    // engine's backward passes dA's chunks share the job (rlhf_product_gradients) and fill most of that third.
    if (leastRows == PACK_A_ROWS && rowChunks == 3) rowChunks = 2;
    long chunks = !split ? 1 : rowChunks >= 2 ? rowChunks : panels < RLHF_CHUNKS ? panels : RLHF_CHUNKS;
    int byRows = rowChunks >= 2;
    struct product planned = {kernel, a, aRowStride, aDepthStride, inPlace ? b : 0, bDepthStride, 0, c, ldc, rows,
                              columns, depth, mode, 0, panels, chunks, byRows ? kernel_rows(kernel) : 0, bias, b,
                              bDepthStride, bColumnStride, (size_t)((inPlace ? 1 : panels) * depth * width),
                              mode == RLHF_MODE_ADD_TOTAL && depth > DEPTH_BLOCK
                                  ? (size_t)((byRows || chunks < 2 ? 1 : chunks) * rows * width) : 0};
    *p = planned;
    return 1;
}

/// Points a planned product's panels and scratch into `memory` (the floats `plan_product` asked for).
static void place_product(struct product *p, float *memory) {
    p->packed = memory;
    p->scratch = p->scratchCount ? memory + p->packedCount : 0;
}

/// Packs a placed product's B into its panels: every panel, or the last partial one of a B read in place.
static void pack_product(const struct product *p) {
    long width = 2 * kernel_lanes(p->kernel);
    long lastColumn = (p->columns / width) * width;
    float *target = (float *)p->packed;
    if (!p->b) {
        pack(p->kernel, p->source, p->sourceDepthStride, p->sourceColumnStride, p->columns, p->depth, width, target);
    } else if (lastColumn < p->columns) {
        pack(p->kernel, p->source + lastColumn, p->sourceDepthStride, 1, p->columns - lastColumn, p->depth, width,
             target);
    }
}

/// This thread's working memory for packed panels and scratch (a larger one than WORKING_KEEP, for a
/// product that packed a big B, is freed after it).
static _Thread_local struct kept_buffer working;

int rlhf_product_bias(int kernel, const float *a, long aRowStride, long aDepthStride, const float *b,
                      long bDepthStride, long bColumnStride, float *c, long ldc, long rows, long columns, long depth,
                      int mode, int split, const float *bias) {
    struct product p;
    if (!plan_product(&p, kernel, a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, c, ldc, rows,
                      columns, depth, mode, split, bias)) {
        return 0;
    }
    if (rows <= 0 || columns <= 0) return 1;
    float *memory = kept_floats(&working, p.packedCount + p.scratchCount + 1);
    if (!memory) return 0;
    place_product(&p, memory);
    pack_product(&p);
    if (p.chunks >= 2) {
        rlhf_pool_run_chunks(run_chunk, &p, p.chunks);
    } else {
        run_part(&p, 0, rows, 0, p.panels, p.scratch);
        if (bias) add_bias(&p, 0, rows, 0, columns);
    }
    kept_trim(&working);
    return 1;
}

int rlhf_product(int kernel, const float *a, long aRowStride, long aDepthStride, const float *b,
                 long bDepthStride, long bColumnStride, float *c, long ldc, long rows, long columns, long depth,
                 int mode, int split) {
    return rlhf_product_bias(kernel, a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, c, ldc, rows,
                             columns, depth, mode, split, 0);
}

#include "GradientPair.h"
