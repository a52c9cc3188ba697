// One Adam step on `count` values in wide Float lanes (AVX2: 8, AVX-512: 16), with the bits of the
// engine's Adam.update (Swift SIMD8<Float>, which baseline x86-64 runs four lanes at a time).
//
// Per value, in this order, each an IEEE float operation (no fused multiply-add):
//   g = gradient * scale
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + ((1 - beta2) * g) * g
//   p = p - (learningRate * (m / correction1)) / (sqrt(v / correction2) + epsilon)
// Lanes are independent, so the lane width never changes a value.
#include "RLHFKernels.h"

#pragma clang fp contract(off)
#pragma clang diagnostic ignored "-Wpsabi"

typedef float floats8 __attribute__((ext_vector_type(8)));
typedef float floats16 __attribute__((ext_vector_type(16)));

/// The step on one value; also the tail after the last whole vector.
static inline __attribute__((always_inline)) void adam_one(const float *gradient, float *first, float *second,
                                                           float *values, long i, const float *k) {
    const float scale = k[0], beta1 = k[1], beta2 = k[2], epsilon = k[3], learningRate = k[4];
    const float correction1 = k[5], correction2 = k[6];
    float g = gradient[i] * scale;
    first[i] = beta1 * first[i] + (1 - beta1) * g;
    second[i] = beta2 * second[i] + (1 - beta2) * g * g;
    float mHat = first[i] / correction1;
    float vHat = second[i] / correction2;
    values[i] -= learningRate * mHat / (__builtin_elementwise_sqrt(vHat) + epsilon);
}

#if defined(__x86_64__)
#define ADAM_LOOP(PREFIX, TARGET, VECTOR, WIDTH)                                                                \
    static TARGET void PREFIX##adam(const float *gradient, float *first, float *second, float *values,       \
                                    long count, const float *k) {                                             \
        const float scale = k[0], beta1 = k[1], beta2 = k[2], epsilon = k[3], learningRate = k[4];            \
        const float correction1 = k[5], correction2 = k[6];                                                   \
        long i = 0;                                                                                           \
        for (; i + WIDTH <= count; i += WIDTH) {                                                              \
            VECTOR g, m, v, p;                                                                                \
            __builtin_memcpy(&g, gradient + i, sizeof g);                                                     \
            __builtin_memcpy(&m, first + i, sizeof m);                                                        \
            __builtin_memcpy(&v, second + i, sizeof v);                                                       \
            __builtin_memcpy(&p, values + i, sizeof p);                                                       \
            g = g * scale;                                                                                    \
            m = beta1 * m + (1 - beta1) * g;                                                                  \
            v = beta2 * v + (1 - beta2) * g * g;                                                              \
            __builtin_memcpy(first + i, &m, sizeof m);                                                        \
            __builtin_memcpy(second + i, &v, sizeof v);                                                       \
            VECTOR mHat = m / correction1;                                                                    \
            VECTOR vHat = v / correction2;                                                                    \
            p = p - learningRate * mHat / (__builtin_elementwise_sqrt(vHat) + epsilon);                       \
            __builtin_memcpy(values + i, &p, sizeof p);                                                       \
        }                                                                                                     \
        for (; i < count; i++) adam_one(gradient, first, second, values, i, k);                               \
    }
ADAM_LOOP(avx2_, __attribute__((target("avx2"))), floats8, 8)
ADAM_LOOP(avx512_, __attribute__((target("avx512f"))), floats16, 16)
#endif

int rlhf_adam(int kernel, const float *gradient, float *first, float *second, float *values, long count,
              const float *constants) {
    if (!rlhf_kernel_available(kernel)) return 0;
    switch (kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2: avx2_adam(gradient, first, second, values, count, constants); return 1;
    case RLHF_KERNEL_AVX512: avx512_adam(gradient, first, second, values, count, constants); return 1;
#endif
    default: return 0;
    }
}
