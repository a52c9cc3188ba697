// The arithmetic ceiling under the project's contract: how many separate multiply-then-add steps
// (one rounded multiply, then one rounded add, never fused) this processor completes per second in
// each kernel's widest lanes, with nothing else to do: no memory traffic past the level-1 cache,
// no dependence between chains beyond each chain's own running sum.
//
// Each step loads one vector v from a 16-row table (level-1 resident, so the multiply cannot be
// hoisted out of the loop) and updates CHAINS independent sums acc[r] = acc[r] + v * c[r], one
// register each: enough chains that the adder's latency never waits, few enough that the sums and
// their constants stay in registers. Every matrix tile does at least this work per multiply-add
// (and loads and stores besides), so no product in rlhf can run faster than this rate.
#include "RLHFKernels.h"

#include <pthread.h>
#include <time.h>

#pragma clang fp contract(off)

/// Steps of `chains` sums in vectors of `lanes` floats; the sum of every chain's lanes is returned
/// so that nothing is optimised away.
#define PEAK_KERNEL(PREFIX, TARGET, LANES, CHAINS)                                                     \
    typedef float PREFIX##peak_vector __attribute__((ext_vector_type(LANES)));                        \
    static TARGET __attribute__((noinline)) float PREFIX##peak(long steps, const float *table) {      \
        PREFIX##peak_vector acc[CHAINS], scale[CHAINS];                                                \
        for (int r = 0; r < CHAINS; r++) {                                                            \
            acc[r] = (PREFIX##peak_vector)0;                                                          \
            scale[r] = (PREFIX##peak_vector)(0.001f * (float)(r + 1));                               \
        }                                                                                             \
        for (long s = 0; s < steps; s++) {                                                            \
            PREFIX##peak_vector v;                                                                    \
            __builtin_memcpy(&v, table + (s & 15) * LANES, sizeof v);                                 \
            for (int r = 0; r < CHAINS; r++) acc[r] = acc[r] + v * scale[r];                          \
        }                                                                                             \
        PREFIX##peak_vector total = (PREFIX##peak_vector)0;                                           \
        for (int r = 0; r < CHAINS; r++) total = total + acc[r];                                      \
        float sum = 0;                                                                                \
        for (int lane = 0; lane < LANES; lane++) sum = sum + total[lane];                             \
        return sum;                                                                                   \
    }

#if defined(__x86_64__)
PEAK_KERNEL(avx2_, __attribute__((target("avx2"))), 8, 6)      // 16 registers: 6 sums, 6 constants
PEAK_KERNEL(avx512_, __attribute__((target("avx512f"))), 16, 12)  // 32 registers: 12 sums, 12 constants
#endif
#if defined(__aarch64__)
PEAK_KERNEL(neon_, , 4, 12)  // 32 registers
#endif

/// Chains and lanes of `kernel`'s peak loop (0 when it has none).
static long peak_width(int kernel) {
    switch (kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2: return 6 * 8;
    case RLHF_KERNEL_AVX512: return 12 * 16;
#endif
#if defined(__aarch64__)
    case RLHF_KERNEL_NEON: return 12 * 4;
#endif
    default: return 0;
    }
}

struct peak_job {
    int kernel;
    long steps;
    float table[16 * 16];
    float sums[2];
    double seconds[2];      // each part's thread processor time
    pthread_t threads[2];   // the thread that ran each part: different when the worker ran part 1
};

static double thread_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void peak_part(void *context, long part) {
    struct peak_job *job = context;
    float sum = 0;
    double start = thread_seconds();
    switch (job->kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2: sum = avx2_peak(job->steps, job->table); break;
    case RLHF_KERNEL_AVX512: sum = avx512_peak(job->steps, job->table); break;
#endif
#if defined(__aarch64__)
    case RLHF_KERNEL_NEON: sum = neon_peak(job->steps, job->table); break;
#endif
    default: break;
    }
    job->seconds[part] = thread_seconds() - start;
    job->threads[part] = pthread_self();
    job->sums[part] = sum;
}

long rlhf_peak(int kernel, long steps, int split, double *seconds, float *checksum) {
    long width = peak_width(kernel);
    if (width == 0 || !rlhf_kernel_available(kernel) || steps <= 0) return 0;
    struct peak_job job = {.kernel = kernel, .steps = steps};
    for (int i = 0; i < 16 * 16; i++) job.table[i] = 1.0f + (float)(i % 7) * 0.125f;
    int together = 0;  // 1 when part 1 ran on the worker, at the same time as part 0 here
    if (split) {
        rlhf_pool_run_two(peak_part, &job);
        together = !pthread_equal(job.threads[0], job.threads[1]);
    } else {
        peak_part(&job, 0);
    }
    // On two threads at once, the parts took as long as the longer; both on this thread (the worker taken or
    // absent, or too late to claim part 1), one after the other.
    double longer = job.seconds[0] > job.seconds[1] ? job.seconds[0] : job.seconds[1];
    if (seconds) *seconds = split && !together ? job.seconds[0] + job.seconds[1] : longer;
    if (checksum) *checksum = job.sums[0] + job.sums[1];
    return (split ? 2 : 1) * steps * width;
}
