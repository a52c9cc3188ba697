// GELU's tanh form and its derivative on eight floats at a time, in wide Double lanes.
//
// Lane by lane these are the operations of the engine's FastPortableMath (Swift SIMD8<Double>, which
// baseline x86-64 runs two lanes at a time), in the same order, with the same constants:
//   u = c (x + ((a x) x) x)                                          (Float)
//   tanh(u) in Double: m = |u| where 1e-4 <= |u| <= 20 (else 1), y = -2 m,
//     k = (y / ln2 + 1.5 2^52) - 1.5 2^52, r = y - k ln2, p = Horner sum_{n<=10} r^n / n!,
//     e = p 2^k (2^k from its bit pattern), t = (1 - e) / (1 + e), with the sign of u;
//     u - ((u u) u) / 3 where |u| < 1e-4; +-1 where |u| > 20; u where u is NaN
//   gelu = (0.5 x) (1 + t)                                            (Float, t rounded once)
//   gelu' = 0.5 (1 + t) + (((0.5 x) (1 - t t)) c) (1 + (b x) x),  dx = g gelu'
// Only IEEE add, multiply, divide, conversions (round to nearest) and bit operations, so the bits
// equal FastPortableMath's on every machine. The float constants come from the caller, so that they
// are the very bits the Swift code rounds its literals to.
#include "RLHFKernels.h"
#include "ExpPolynomial.h"

#pragma clang fp contract(off)
// The helpers below take and return 8-lane vectors but are always inlined into the AVX functions at
// the end, so no call between differently compiled functions ever passes one.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float floats8 __attribute__((ext_vector_type(8)));
typedef double doubles8 __attribute__((ext_vector_type(8)));
typedef long longs8 __attribute__((ext_vector_type(8)));

static inline __attribute__((always_inline)) doubles8 select8(longs8 mask, doubles8 yes, doubles8 no) {
    longs8 bits = (mask & (longs8)yes) | (~mask & (longs8)no);
    return (doubles8)bits;
}

/// tanh of eight doubles, as FastPortableMath.tanh(SIMD8<Double>).
static inline __attribute__((always_inline)) doubles8 tanh8(doubles8 x) {
    const double ln2 = 0.6931471805599453, inverseLn2 = 1.4426950408889634, shift = 6755399441055744.0;
    doubles8 magnitude = (doubles8)((longs8)x & (longs8)0x7FFFFFFFFFFFFFFFL);
    longs8 usesExp = (magnitude <= 20) & (magnitude >= 1e-4);
    doubles8 one = 1.0;
    doubles8 m = select8(usesExp, magnitude, one);
    doubles8 y = -2 * m;
    doubles8 shifted = y * inverseLn2 + shift;
    doubles8 k = shifted - shift;
    doubles8 r = y - k * ln2;
    doubles8 p;
    RLHF_EXP_POLYNOMIAL(p, r);
    longs8 power = (longs8)shifted - (longs8)((doubles8)shift);
    doubles8 scale = (doubles8)((power + 1023) << 52);
    doubles8 e = p * scale;
    doubles8 t = (1 - e) / (1 + e);
    doubles8 result = select8(x < 0, -t, t);
    longs8 small = magnitude < 1e-4;
    if (__builtin_reduce_or(small)) result = select8(small, x - x * x * x / 3, result);
    result = select8(magnitude > 20, select8(x > 0, one, -one), result);
    result = select8(x != x, x, result);
    return result;
}

/// tanh(c (x + a x^3)) for eight floats, rounded to Float once.
static inline __attribute__((always_inline)) floats8 gelu_tanh8(floats8 x, float c, float a) {
    floats8 u = c * (x + a * x * x * x);
    return __builtin_convertvector(tanh8(__builtin_convertvector(u, doubles8)), floats8);
}

static inline __attribute__((always_inline)) floats8 load8(const float *p) {
    floats8 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void store8(float *p, floats8 v) { __builtin_memcpy(p, &v, sizeof v); }

/// gelu = (0.5 x) (1 + t) from t = tanh(c (x + a x^3)), eight lanes.
static inline __attribute__((always_inline)) floats8 gelu_from_tanh8(floats8 v, floats8 t) {
    return 0.5f * v * (1 + t);
}

/// Eight values (or the last 1 ... 7, through zero-padded buffers; the padding is never stored).
static inline __attribute__((always_inline)) void gelu_block(const float *x, float *y, float *tanhOut, long n,
                                                             const float *constants) {
    float input[8] = {0}, output[8], tanhValues[8];
    const float *source = x;
    if (n < 8) {
        for (long i = 0; i < n; i++) input[i] = x[i];
        source = input;
    }
    floats8 v = load8(source);
    floats8 t = gelu_tanh8(v, constants[0], constants[1]);
    floats8 result = gelu_from_tanh8(v, t);
    if (n == 8) {
        store8(y, result);
        if (tanhOut) store8(tanhOut, t);
        return;
    }
    store8(output, result);
    store8(tanhValues, t);
    for (long i = 0; i < n; i++) {
        y[i] = output[i];
        if (tanhOut) tanhOut[i] = tanhValues[i];
    }
}

/// Four blocks of eight (32 values), as four gelu_blocks: the same operations on each value, with four
/// independent chains of them in flight at once (about a tenth faster than one block at a time, measured here).
static inline __attribute__((always_inline)) void gelu_four(const float *x, float *y, float *tanhOut,
                                                            const float *k) {
    floats8 v0 = load8(x), v1 = load8(x + 8), v2 = load8(x + 16), v3 = load8(x + 24);
    floats8 t0 = gelu_tanh8(v0, k[0], k[1]), t1 = gelu_tanh8(v1, k[0], k[1]);
    floats8 t2 = gelu_tanh8(v2, k[0], k[1]), t3 = gelu_tanh8(v3, k[0], k[1]);
    store8(y, gelu_from_tanh8(v0, t0));
    store8(y + 8, gelu_from_tanh8(v1, t1));
    store8(y + 16, gelu_from_tanh8(v2, t2));
    store8(y + 24, gelu_from_tanh8(v3, t3));
    if (tanhOut) {
        store8(tanhOut, t0);
        store8(tanhOut + 8, t1);
        store8(tanhOut + 16, t2);
        store8(tanhOut + 24, t3);
    }
}

static inline __attribute__((always_inline)) void gelu_backward_block(const float *x, const float *g, float *dx,
                                                                      const float *tanhValues, long n,
                                                                      const float *constants) {
    float input[8] = {0}, upstreamBuffer[8] = {0}, tanhBuffer[8] = {0}, output[8];
    const float *xs = x, *gs = g, *ts = tanhValues;
    if (n < 8) {
        for (long i = 0; i < n; i++) {
            input[i] = x[i];
            upstreamBuffer[i] = g[i];
            if (tanhValues) tanhBuffer[i] = tanhValues[i];
        }
        xs = input;
        gs = upstreamBuffer;
        ts = tanhValues ? tanhBuffer : 0;
    }
    const float c = constants[0], a = constants[1], b = constants[2];
    floats8 v = load8(xs);
    floats8 upstream = load8(gs);
    floats8 t = ts ? load8(ts) : gelu_tanh8(v, c, a);
    floats8 first = 0.5f * (1 + t);
    floats8 slope = 1 - t * t;
    floats8 cubic = 1 + b * v * v;
    floats8 second = 0.5f * v * slope * c * cubic;
    floats8 derivative = first + second;
    floats8 result = upstream * derivative;
    if (n == 8) {
        store8(dx, result);
        return;
    }
    store8(output, result);
    for (long i = 0; i < n; i++) dx[i] = output[i];
}

#if defined(__x86_64__)
#define GELU_LOOPS(PREFIX, TARGET)                                                                              \
    static TARGET void PREFIX##gelu(const float *x, float *y, long count, float *tanhOut, const float *k) {      \
        long i = 0;                                                                                             \
        for (; i + 32 <= count; i += 32) gelu_four(x + i, y + i, tanhOut ? tanhOut + i : 0, k);                \
        for (; i < count; i += 8) {                                                                             \
            gelu_block(x + i, y + i, tanhOut ? tanhOut + i : 0, count - i < 8 ? count - i : 8, k);              \
        }                                                                                                       \
    }                                                                                                           \
    static TARGET void PREFIX##gelu_backward(const float *x, const float *g, float *dx, long count,             \
                                             const float *tanhValues, const float *k) {                         \
        for (long i = 0; i < count; i += 8) {                                                                   \
            gelu_backward_block(x + i, g + i, dx + i, tanhValues ? tanhValues + i : 0,                          \
                                count - i < 8 ? count - i : 8, k);                                              \
        }                                                                                                       \
    }
GELU_LOOPS(avx2_, __attribute__((target("avx2"))))
GELU_LOOPS(avx512_, __attribute__((target("avx512f"))))
#endif

int rlhf_gelu(int kernel, const float *x, float *y, long count, float *tanhOut, const float *constants) {
    if (!rlhf_kernel_available(kernel)) return 0;
    switch (kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2: avx2_gelu(x, y, count, tanhOut, constants); return 1;
    case RLHF_KERNEL_AVX512: avx512_gelu(x, y, count, tanhOut, constants); return 1;
#endif
    default: return 0;
    }
}

int rlhf_gelu_backward(int kernel, const float *x, const float *g, float *dx, long count, const float *tanhValues,
                       const float *constants) {
    if (!rlhf_kernel_available(kernel)) return 0;
    switch (kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2: avx2_gelu_backward(x, g, dx, count, tanhValues, constants); return 1;
    case RLHF_KERNEL_AVX512: avx512_gelu_backward(x, g, dx, count, tanhValues, constants); return 1;
#endif
    default: return 0;
    }
}
