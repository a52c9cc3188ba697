// The vector types and masked loads and stores of one x86 instruction set, for the lane kernels
// (AttentionHeads.c, RowLanes.c), included once per set after the file defines:
//   PREFIX   name prefix (avx2_, avx512_)
//   TARGET   the function attribute that enables the set
//   LANES    floats per vector: 8 (AVX2) or 16 (AVX-512)
// It defines PREFIX##floats and PREFIX##ints (LANES lanes each) and PREFIX##loadMasked(p, mask) and
// PREFIX##storeMasked(p, v, mask), which read or write the lanes whose mask is -1 (all bits set) and touch
// no memory for the lanes whose mask is 0 (a masked-off lane reads as 0).
#define MASKED_GLUE_(x, y) x##y
#define MASKED_GLUE(x, y) MASKED_GLUE_(x, y)
#define MASKED(name) MASKED_GLUE(PREFIX, name)

typedef float MASKED(floats) __attribute__((ext_vector_type(LANES)));
typedef int MASKED(ints) __attribute__((ext_vector_type(LANES)));

#if LANES == 8
static inline __attribute__((always_inline)) TARGET MASKED(floats) MASKED(loadMasked)(const float *p,
                                                                                   MASKED(ints) mask) {
    return (MASKED(floats))_mm256_maskload_ps(p, (__m256i)mask);
}
static inline __attribute__((always_inline)) TARGET void MASKED(storeMasked)(float *p, MASKED(floats) v,
                                                                            MASKED(ints) mask) {
    _mm256_maskstore_ps(p, (__m256i)mask, (__m256)v);
}
#elif LANES == 16
/// The mask as AVX-512's bit mask: a lane counts when its sign bit is set.
static inline __attribute__((always_inline)) TARGET __mmask16 MASKED(bits)(MASKED(ints) mask) {
    return _mm512_cmplt_epi32_mask((__m512i)mask, _mm512_setzero_si512());
}
static inline __attribute__((always_inline)) TARGET MASKED(floats) MASKED(loadMasked)(const float *p,
                                                                                   MASKED(ints) mask) {
    return (MASKED(floats))_mm512_maskz_loadu_ps(MASKED(bits)(mask), p);
}
static inline __attribute__((always_inline)) TARGET void MASKED(storeMasked)(float *p, MASKED(floats) v,
                                                                            MASKED(ints) mask) {
    _mm512_mask_storeu_ps(p, MASKED(bits)(mask), (__m512)v);
}
#else
#error "MaskedLanes.h: LANES must be 8 or 16"
#endif

#undef MASKED
#undef MASKED_GLUE
#undef MASKED_GLUE_
