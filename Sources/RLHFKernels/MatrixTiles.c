// The matrix tiles of TileTemplate.h for each instruction set, and the choice between them.
//
// x86-64: AVX2 (8 lanes, tiles of 6 x 16) and AVX-512 (16 lanes, tiles of 8 x 32), each compiled for its
// instruction set alone with a function attribute, so the binary still runs on baseline x86-64 and
// uses them only where __builtin_cpu_supports finds them. arm64: NEON (4 lanes, tiles of 8 x 8), part
// of every arm64 processor. Elsewhere none: the engine's portable Swift tiles run.
#include "RLHFKernels.h"

#include <stdlib.h>
#include <string.h>

// One IEEE multiply and one IEEE add per term, never a fused multiply-add (the bits must equal the
// plain loops' on every machine).
#pragma clang fp contract(off)

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

int rlhf_tiles(int kernel, const float *a, long aRowStride, long aDepthStride, const float *b, long ldb,
               float *c, long ldc, long rows, long columns, long depth, int mode) {
    if (kernel == RLHF_KERNEL_PORTABLE || !rlhf_kernel_available(kernel)) return 0;
    if (rows <= 0 || columns <= 0) return 1;
    long lanes = kernel == RLHF_KERNEL_AVX512 ? 16 : (kernel == RLHF_KERNEL_AVX2 ? 8 : 4);
    // The zero-padded copy of B's last columns, when there are fewer than a vector of them.
    float *panel = columns % lanes ? malloc(sizeof(float) * (size_t)(depth > 0 ? depth * lanes : 1)) : NULL;
    switch (kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2:
        avx2_tiles(a, aRowStride, aDepthStride, b, ldb, c, ldc, rows, columns, depth, mode, panel);
        break;
    case RLHF_KERNEL_AVX512:
        avx512_tiles(a, aRowStride, aDepthStride, b, ldb, c, ldc, rows, columns, depth, mode, panel);
        break;
#endif
#if defined(__aarch64__)
    case RLHF_KERNEL_NEON:
        neon_tiles(a, aRowStride, aDepthStride, b, ldb, c, ldc, rows, columns, depth, mode, panel);
        break;
#endif
    default: break;
    }
    free(panel);
    return 1;
}
