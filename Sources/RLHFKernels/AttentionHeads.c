// The attention heads of AttentionTemplate.h for AVX2 and AVX-512, and the choice between them.
//
// Each is compiled for its instruction set alone with a function attribute, so the binary still runs on
// baseline x86-64 and uses them only where the processor has them. Elsewhere (and for the portable and
// NEON kernels) the engine's own Swift loops run: the two give the same bits.
#include "RLHFKernels.h"

// One IEEE multiply and one IEEE add per term, never a fused multiply-add (the bits must equal the
// engine's Swift loops on every machine).
#pragma clang fp contract(off)
// The vector helpers are always inlined into the functions of one instruction set, so no call between
// differently compiled functions ever passes a vector.
#pragma clang diagnostic ignored "-Wpsabi"

#if defined(__x86_64__)
#include <immintrin.h>

#define PREFIX avx2_
#define TARGET __attribute__((target("avx2")))
#define LANES 8
#include "MaskedLanes.h"
#include "AttentionTemplate.h"

#define PREFIX avx512_
#define TARGET __attribute__((target("avx512f")))
#define LANES 16
#include "MaskedLanes.h"
#include "AttentionTemplate.h"
#endif

long rlhf_attention_scratch(long length, long headWidth) {
    long ld = (length + 15) / 16 * 16;
    return (headWidth + length) * ld + 16;
}

int rlhf_attention_forward(int kernel, const float *queries, const float *keys, const float *values, long stride,
                           long length, long headWidth, float scale, float *output, long outputStride,
                           float *weights, float *scratch) {
    if (!rlhf_kernel_available(kernel)) return 0;
    switch (kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2:
        avx2_attention_forward(queries, keys, values, stride, length, headWidth, scale, output, outputStride,
                               weights, scratch);
        return 1;
    case RLHF_KERNEL_AVX512:
        avx512_attention_forward(queries, keys, values, stride, length, headWidth, scale, output, outputStride,
                                 weights, scratch);
        return 1;
#endif
    default: return 0;
    }
}

int rlhf_attention_backward(int kernel, const float *queries, const float *keys, const float *values, long stride,
                            const float *weights, const float *upstream, long upstreamStride, float *dQueries,
                            float *dKeys, float *dValues, long length, long headWidth, float scale,
                            float *scratch) {
    if (!rlhf_kernel_available(kernel)) return 0;
    switch (kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2:
        avx2_attention_backward(queries, keys, values, stride, weights, upstream, upstreamStride, dQueries, dKeys,
                                dValues, length, headWidth, scale, scratch);
        return 1;
    case RLHF_KERNEL_AVX512:
        avx512_attention_backward(queries, keys, values, stride, weights, upstream, upstreamStride, dQueries,
                                  dKeys, dValues, length, headWidth, scale, scratch);
        return 1;
#endif
    default: return 0;
    }
}

int rlhf_cached_attention(int kernel, const float *query, const float *keysTransposed, long leading,
                          const float *values, long valueStride, long count, long heads, long headWidth, float scale,
                          float *scores, float *output) {
    if (!rlhf_kernel_available(kernel)) return 0;
    switch (kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2:
        avx2_cached_heads(query, keysTransposed, leading, values, valueStride, count, heads, headWidth, scale,
                          scores, output);
        return 1;
    case RLHF_KERNEL_AVX512:
        avx512_cached_heads(query, keysTransposed, leading, values, valueStride, count, heads, headWidth, scale,
                            scores, output);
        return 1;
#endif
    default: return 0;
    }
}

int rlhf_cached_attention_grouped(int kernel, const float *query, const float *keysTransposed, long leading,
                                  const float *values, long valueStride, long count, long heads, long headWidth,
                                  float scale, float *scores, float *output) {
    if (!rlhf_kernel_available(kernel)) return 0;
    switch (kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2:
        avx2_cached_heads_grouped(query, keysTransposed, leading, values, valueStride, count, heads, headWidth,
                                  scale, scores, output);
        return 1;
    case RLHF_KERNEL_AVX512:
        avx512_cached_heads_grouped(query, keysTransposed, leading, values, valueStride, count, heads, headWidth,
                                    scale, scores, output);
        return 1;
#endif
    default: return 0;
    }
}
