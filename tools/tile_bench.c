// One matrix product at a time through rlhf_product (RLHFKernels), for the README's tile figures.
//
//   clang -O2 -I Sources/RLHFKernels/include tools/tile_bench.c Sources/RLHFKernels/*.c -lpthread -o /tmp/tile_bench
//   /tmp/tile_bench [kernel]        kernel: 1 avx2, 2 avx512 (default), 3 neon
//
// Each shape runs on one thread (timed in that thread's own processor time, so other work on the machine
// does not count) and split over the two threads of the pool (timed on the wall clock); best of five runs
// of `repeats` products each. GFLOP/s counts 2 x rows x depth x columns per product.
#include "RLHFKernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/// C (rows x columns) = A B with A (rows x depth) stored transposed when `transposedA` (as the weight
/// gradients' A^T B reads it) and B (depth x columns) stored transposed when `transposedB` (as dX = G W^T).
static void run(int kernel, const char *name, long rows, long depth, long columns, int transposedA,
                int transposedB) {
    float *a = malloc(sizeof(float) * rows * depth), *b = malloc(sizeof(float) * depth * columns);
    float *c = malloc(sizeof(float) * rows * columns);
    for (long i = 0; i < rows * depth; i++) a[i] = (float)(i % 7) * 0.1f;
    for (long i = 0; i < depth * columns; i++) b[i] = (float)(i % 5) * 0.1f;
    long aRowStride = transposedA ? 1 : depth, aDepthStride = transposedA ? rows : 1;
    long bDepthStride = transposedB ? 1 : columns, bColumnStride = transposedB ? depth : 1;
    double work = 2.0 * rows * depth * columns;
    long repeats = (long)(2e9 / work) + 1;
    printf("%-22s %5ld x %5ld x %5ld", name, rows, depth, columns);
    for (int split = 0; split < 2; split++) {
        clockid_t clock = split ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID;
        double best = 1e30;
        for (int run = 0; run < 5; run++) {
            double start = seconds(clock);
            for (long r = 0; r < repeats; r++) {
                rlhf_product(kernel, a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, c, columns, rows,
                             columns, depth, RLHF_MODE_OVERWRITE, split);
            }
            double each = (seconds(clock) - start) / repeats;
            if (each < best) best = each;
        }
        printf("   %s %7.1f GFLOP/s", split ? "split" : "one thread", work / best * 1e-9);
    }
    printf("\n");
    free(a);
    free(b);
    free(c);
}

int main(int argc, char **argv) {
    int kernel = argc > 1 ? atoi(argv[1]) : RLHF_KERNEL_AVX512;
    if (!rlhf_kernel_available(kernel)) {
        fprintf(stderr, "tile_bench: kernel %d is not available on this processor\n", kernel);
        return 1;
    }
    run(kernel, "d48 c_fc forward", 512, 48, 192, 0, 0);
    run(kernel, "d48 c_proj forward", 512, 192, 48, 0, 0);
    run(kernel, "d48 c_fc dX = G W^T", 512, 192, 48, 0, 1);
    run(kernel, "d48 c_fc dW = X^T G", 48, 512, 192, 1, 0);
    run(kernel, "d192 c_fc forward", 2048, 192, 768, 0, 0);
    run(kernel, "d192 c_proj forward", 2048, 768, 192, 0, 0);
    run(kernel, "d192 c_proj dW", 768, 2048, 192, 1, 0);
    run(kernel, "d192 c_fc dW", 192, 2048, 768, 1, 0);
    // d192 at PPO batch 64: a minibatch of 32 rollouts x 24 tokens is 768 rows.
    run(kernel, "d192 b64 c_proj dW", 768, 768, 192, 1, 0);
    run(kernel, "d192 b64 c_fc dW", 192, 768, 768, 1, 0);
    run(kernel, "d192 b64 c_attn dW", 192, 768, 576, 1, 0);
    return 0;
}
