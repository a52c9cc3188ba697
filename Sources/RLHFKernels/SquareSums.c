// The sum of squares under the gradient norm's proof (GradientNorm.laneSum) in wide Double lanes: for each
// whole block of 32 floats, value 8 s + j of the block squared in Double and added into lane j of set s,
//   lanes[8 s + j] = lanes[8 s + j] + Double(x[32 b + 8 s + j]) * Double(x[32 b + 8 s + j])
// blocks in order, each an IEEE double multiply then add (no fused multiply-add; the float to Double
// conversion is exact). The 32 lanes are independent, so AVX2 (four doubles per register) and AVX-512 (eight)
// give the bits of the Swift loop (SIMD8<Double>, two doubles per SSE2 register); the four sets keep four
// chains of additions in flight instead of one.
#include "RLHFKernels.h"

#pragma clang fp contract(off)
#pragma clang diagnostic ignored "-Wpsabi"

typedef float floats8 __attribute__((ext_vector_type(8)));
typedef double doubles8 __attribute__((ext_vector_type(8)));

#if defined(__x86_64__)
#define SQUARE_LOOP(PREFIX, TARGET)                                                                           \
    static TARGET long PREFIX##square_sums(const float *values, long count, double *lanes) {                 \
        doubles8 sets[4];                                                                                     \
        __builtin_memcpy(sets, lanes, sizeof sets);                                                           \
        long blocks = count / 32;                                                                             \
        for (long b = 0; b < blocks; b++) {                                                                   \
            for (int s = 0; s < 4; s++) {                                                                     \
                floats8 x;                                                                                    \
                __builtin_memcpy(&x, values + 32 * b + 8 * s, sizeof x);                                      \
                doubles8 d = __builtin_convertvector(x, doubles8);                                            \
                sets[s] = sets[s] + d * d;                                                                    \
            }                                                                                                 \
        }                                                                                                     \
        __builtin_memcpy(lanes, sets, sizeof sets);                                                           \
        return blocks * 32;                                                                                   \
    }
SQUARE_LOOP(avx2_, __attribute__((target("avx2"))))
SQUARE_LOOP(avx512_, __attribute__((target("avx512f"))))
#endif

long rlhf_square_sums(int kernel, const float *values, long count, double *lanes) {
    if (!rlhf_kernel_available(kernel)) return 0;
    switch (kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2: return avx2_square_sums(values, count, lanes);
    case RLHF_KERNEL_AVX512: return avx512_square_sums(values, count, lanes);
#endif
    default: return 0;
    }
}
