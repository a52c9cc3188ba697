// The matrix tiles of TileTemplate.h for each instruction set, and the choice between them.
//
// x86-64: AVX2 (8 lanes, tiles of 6 x 16) and AVX-512 (16 lanes, tiles of 8 x 32), each compiled for its
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

#if defined(__x86_64__)
#define PREFIX avx2_
#define TARGET __attribute__((target("avx2")))
#define LANES 8
#define ROWS 6
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
static long kernel_rows(int kernel) { return kernel == RLHF_KERNEL_AVX2 ? 6 : 8; }

/// Floats per vector register of `kernel` (0 for the portable kernel, which is not in this library).
static long kernel_lanes(int kernel) {
    switch (kernel) {
    case RLHF_KERNEL_AVX2: return 8;
    case RLHF_KERNEL_AVX512: return 16;
    case RLHF_KERNEL_NEON: return 4;
    default: return 0;
    }
}

#if defined(__x86_64__)
/// 16 x 16 floats transposed: row i of `target` (stride `targetStride`) is column i of the 16 rows
/// `rows` (16 loaded floats each). Pure data movement: each float is copied, never computed.
__attribute__((target("avx512f"))) static void avx512_transpose16(const __m512 rows[16], float *target,
                                                                  long targetStride) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(rows[i], rows[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(rows[i], rows[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        for (int j = 0; j < 2; j++) {
            __m512d x = _mm512_castps_pd(t[i + j]), y = _mm512_castps_pd(t[i + j + 2]);
            u[i + j] = _mm512_castpd_ps(_mm512_unpacklo_pd(x, y));
            u[i + j + 2] = _mm512_castpd_ps(_mm512_unpackhi_pd(x, y));
        }
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        u[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        u[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
        u[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        u[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
    }
    // Column i of the 16 rows, in row order, is now u[order[i]] (the middle two of each four swapped).
    static const int order[16] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
    for (int i = 0; i < 16; i++) _mm512_storeu_ps(target + i * targetStride, u[order[i]]);
}

/// `pack` for a transposed B (bDepthStride 1: column j of B is a run of `depth` floats at
/// b + j * bColumnStride), 16 x 16 blocks at a time through AVX-512 registers; the same copy.
__attribute__((target("avx512f"))) static long avx512_pack_transposed(const float *b, long bColumnStride,
                                                                      long count, long depth, long width,
                                                                      float *target) {
    long d = 0;
    for (; d + 16 <= depth; d += 16) {
        for (long lane = 0; lane < width; lane += 16) {
            __m512 rows[16];
            for (int i = 0; i < 16; i++) {
                rows[i] = lane + i < count ? _mm512_loadu_ps(b + (lane + i) * bColumnStride + d) : _mm512_setzero_ps();
            }
            avx512_transpose16(rows, target + d * width + lane, width);
        }
    }
    return d;
}
#endif

/// B(d, column) = b[d * bDepthStride + column * bColumnStride] copied into panels of `width` columns:
/// packed[(panel * depth + d) * width + lane] = B(d, panel * width + lane), 0 past the last column.
static void pack(int kernel, const float *b, long bDepthStride, long bColumnStride, long columns, long depth,
                 long width, float *packed) {
    long panels = (columns + width - 1) / width;
    for (long panel = 0; panel < panels; panel++) {
        long first = panel * width;
        long count = columns - first < width ? columns - first : width;
        float *target = packed + panel * depth * width;
        long d = 0;
#if defined(__x86_64__)
        if (kernel == RLHF_KERNEL_AVX512 && bDepthStride == 1 && bColumnStride != 1 && width % 16 == 0) {
            d = avx512_pack_transposed(b + first * bColumnStride, bColumnStride, count, depth, width, target);
        }
#endif
        for (; d < depth; d++) {
            const float *source = b + d * bDepthStride + first * bColumnStride;
            float *row = target + d * width;
            if (bColumnStride == 1) {
                memcpy(row, source, sizeof(float) * (size_t)count);
            } else {
                for (long lane = 0; lane < count; lane++) row[lane] = source[lane * bColumnStride];
            }
            for (long lane = count; lane < width; lane++) row[lane] = 0;
        }
    }
}

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
/// each, or PACK_A_ROWS for an A copied into strips, which a shorter chunk would read in place; starts fall
/// at multiples of the tile rows, so with AVX2's 6 a chunk may be a few rows short), else of panels.
#define CHUNK_LEAST_ROWS 16

/// Chunk `chunk` of a split product: its rows (at multiples of the kernel's tile rows, so that only the
/// last chunk has shorter strips), or its panels. The chunks are fixed by the sizes alone, and no sum
/// crosses a chunk: each element takes its terms in order from its row of A and its column, in whichever
/// chunk and thread it falls. Add-total's scratch: a chunk of rows uses its rows' strip of it, a chunk of
/// panels (each over all the rows) a strip of its own.
static void run_chunk(void *context, long chunk) {
    const struct product *p = context;
    long width = 2 * kernel_lanes(p->kernel);
    if (p->rowStep > 0) {
        long first = rlhf_chunk_start(chunk, p->chunks, p->rows, p->rowStep);
        long end = rlhf_chunk_start(chunk + 1, p->chunks, p->rows, p->rowStep);
        if (end > first) run_part(p, first, end - first, 0, p->panels, p->scratch ? p->scratch + first * width : 0);
    } else {
        long first = rlhf_chunk_start(chunk, p->chunks, p->panels, 1);
        long end = rlhf_chunk_start(chunk + 1, p->chunks, p->panels, 1);
        float *scratch = p->scratch ? p->scratch + chunk * p->rows * width : 0;
        if (end > first) run_part(p, 0, p->rows, first, end, scratch);
    }
}

/// This thread's working memory for packed panels and scratch (a larger one than WORKING_KEEP, for a
/// product that packed a big B, is freed after it).
static _Thread_local struct kept_buffer working;

int rlhf_product(int kernel, const float *a, long aRowStride, long aDepthStride, const float *b,
                 long bDepthStride, long bColumnStride, float *c, long ldc, long rows, long columns, long depth,
                 int mode, int split) {
    if (kernel == RLHF_KERNEL_PORTABLE || !rlhf_kernel_available(kernel)) return 0;
    if (rows <= 0 || columns <= 0) return 1;
    if (depth < 0) depth = 0;
    long width = 2 * kernel_lanes(kernel);
    long panels = (columns + width - 1) / width;
    // Packing costs a pass over B: it pays when many rows read each panel of a deep sum. With few rows
    // (generation's one token per sequence) or a short sum the full panels are read in place and only the
    // last, partial one is packed.
    int inPlace = (rows < PACK_ROWS || depth <= PACK_DEPTH) && bColumnStride == 1;
    long lastColumn = (columns / width) * width;
    size_t packedCount = (size_t)((inPlace ? 1 : panels) * depth * width);
    // Split by rows from 16 rows, else by panels from 2 panels; the count depends on the sizes alone.
    long leastRows = aRowStride == 1 && aDepthStride != 1 && depth >= PACK_A_DEPTH ? PACK_A_ROWS : CHUNK_LEAST_ROWS;
    long rowChunks = rows / leastRows < RLHF_CHUNKS ? rows / leastRows : RLHF_CHUNKS;
    if (rows >= CHUNK_LEAST_ROWS && rowChunks < 2) rowChunks = 2;  // halves, as products of 16 or more rows always had
    long chunks = !split ? 1 : rowChunks >= 2 ? rowChunks : panels < RLHF_CHUNKS ? panels : RLHF_CHUNKS;
    int byRows = rowChunks >= 2;
    size_t scratchCount = mode == RLHF_MODE_ADD_TOTAL && depth > DEPTH_BLOCK
        ? (size_t)((byRows || chunks < 2 ? 1 : chunks) * rows * width) : 0;
    float *memory = kept_floats(&working, packedCount + scratchCount + 1);
    if (!memory) return 0;
    if (!inPlace) {
        pack(kernel, b, bDepthStride, bColumnStride, columns, depth, width, memory);
    } else if (lastColumn < columns) {
        pack(kernel, b + lastColumn, bDepthStride, 1, columns - lastColumn, depth, width, memory);
    }
    struct product p = {kernel, a, aRowStride, aDepthStride, inPlace ? b : 0, bDepthStride, memory, c, ldc, rows,
                        columns, depth, mode, scratchCount ? memory + packedCount : 0, panels, chunks,
                        byRows ? kernel_rows(kernel) : 0};
    if (chunks >= 2) {
        rlhf_pool_run_chunks(run_chunk, &p, chunks);
    } else {
        run_part(&p, 0, rows, 0, panels, p.scratch);
    }
    kept_trim(&working);
    return 1;
}
