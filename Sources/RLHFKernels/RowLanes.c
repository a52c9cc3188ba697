// The row-wise kernels of LayerNormTemplate.h and SoftmaxTemplate.h for AVX2 (8 lanes) and AVX-512 (16 lanes),
// and the choice between them.
//
// Each is compiled for its instruction set alone with a function attribute, so the binary still runs on
// baseline x86-64 and uses them only where the processor has them. Elsewhere (and for the portable and NEON
// kernels) every function here returns 0 and the engine's own Swift loops run: the two give the same bits.
#include "RLHFKernels.h"

#include <stdint.h>

// One IEEE multiply and one IEEE add per term, never a fused multiply-add (the bits must equal the engine's
// Swift loops on every machine).
#pragma clang fp contract(off)
// The vector helpers are always inlined into the functions of one instruction set, so no call between
// differently compiled functions ever passes a vector.
#pragma clang diagnostic ignored "-Wpsabi"

/// PortableMath.log(Double), operation for operation: x = m 2^e with m in [1, 2) (Double's significand and
/// exponent, subnormals included), halved (e + 1) when m > 1.414213562373095; s = (m - 1) / (m + 1) and
/// ln x = (2 s) (Horner sum_{j <= 7} s^(2j) / (2j + 1)) + e ln2.
static double portable_log(double x) {
    if (x != x || x < 0) return __builtin_nan("");
    if (x == 0) return -__builtin_inf();
    if (x == __builtin_inf()) return x;
    uint64_t bits;
    __builtin_memcpy(&bits, &x, sizeof bits);
    long exponent = (long)(bits >> 52) - 1023;
    if ((bits >> 52) == 0) {  // subnormal: scaled by 2^64 (exact) to read its exponent
        double scaled = x * 18446744073709551616.0;
        __builtin_memcpy(&bits, &scaled, sizeof bits);
        exponent = (long)(bits >> 52) - 1023 - 64;
    }
    uint64_t significandBits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
    double mantissa;
    __builtin_memcpy(&mantissa, &significandBits, sizeof mantissa);
    if (mantissa > 1.414213562373095) {
        mantissa *= 0.5;
        exponent += 1;
    }
    double s = (mantissa - 1) / (mantissa + 1);
    double s2 = s * s;
    double series = 1.0 / 15.0;
    for (int denominator = 13; denominator >= 1; denominator -= 2) series = series * s2 + 1.0 / denominator;
    return 2 * s * series + (double)exponent * 0.6931471805599453;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define PREFIX avx2_
#define TARGET __attribute__((target("avx2")))
#define LANES 8
#include "MaskedLanes.h"
#include "RowLanesTemplate.h"
#include "LayerNormTemplate.h"
#include "SoftmaxTemplate.h"
#undef PREFIX
#undef TARGET
#undef LANES

#define PREFIX avx512_
#define TARGET __attribute__((target("avx512f")))
#define LANES 16
#include "MaskedLanes.h"
#include "RowLanesTemplate.h"
#include "LayerNormTemplate.h"
#include "SoftmaxTemplate.h"
#undef PREFIX
#undef TARGET
#undef LANES
#endif

/// Fewer rows than this are left to the Swift loops: with one row per lane most lanes would idle, and a row's
/// sums one term at a time are faster there (generation normalises one row at a time).
#define FEWEST_ROWS 4

/// Calls on this thread that ran lanes, per function (rlhf_row_lanes_runs): a count, read only by tests.
static _Thread_local long runs[RLHF_ROW_FUNCTION_COUNT];

long rlhf_row_lanes_runs(int function) {
    return function >= 0 && function < RLHF_ROW_FUNCTION_COUNT ? runs[function] : 0;
}

/// Runs CALL with the prefix of `kernel` (AVX2 or AVX-512), counts the run of FUNCTION and returns 1; returns 0
/// for any other kernel or one this processor cannot run, or when width is 0 or there are fewer than FEWEST_ROWS
/// rows.
#if defined(__x86_64__)
#define DISPATCH(kernel, rows, width, FUNCTION, CALL)                                                        \
    do {                                                                                                     \
        if ((width) <= 0 || (rows) < FEWEST_ROWS || !rlhf_kernel_available(kernel)) return 0;               \
        if ((kernel) == RLHF_KERNEL_AVX2) { avx2_##CALL; runs[FUNCTION] += 1; return 1; }                   \
        if ((kernel) == RLHF_KERNEL_AVX512) { avx512_##CALL; runs[FUNCTION] += 1; return 1; }               \
        return 0;                                                                                            \
    } while (0)
#else
#define DISPATCH(kernel, rows, width, FUNCTION, CALL) return 0
#endif

int rlhf_layer_norm(int kernel, const float *x, long rows, long width, float epsilon, const float *gamma,
                    const float *beta, float *y, float *normalised, float *inverseDeviations) {
    DISPATCH(kernel, rows, width, RLHF_ROW_LAYER_NORM,
             layer_norm(x, rows, width, epsilon, gamma, beta, y, normalised, inverseDeviations));
}

int rlhf_layer_norm_input_gradient(int kernel, const float *upstream, const float *normalised, const float *gamma,
                                   const float *inverseDeviations, long rows, long width, float *dx) {
    DISPATCH(kernel, rows, width, RLHF_ROW_LAYER_NORM_INPUT_GRADIENT,
             layer_norm_input_gradient(upstream, normalised, gamma, inverseDeviations, rows, width, dx));
}

int rlhf_layer_norm_parameter_gradients(int kernel, const float *upstream, const float *normalised, long rows,
                                        long width, long firstColumn, long endColumn, float *dGamma, float *dBeta) {
    DISPATCH(kernel, rows, width, RLHF_ROW_LAYER_NORM_PARAMETER_GRADIENTS,
             layer_norm_parameter_gradients(upstream, normalised, rows, width, firstColumn, endColumn, dGamma, dBeta));
}

int rlhf_softmax(int kernel, const float *x, float *y, long rows, long width) {
    DISPATCH(kernel, rows, width, RLHF_ROW_SOFTMAX, softmax(x, y, rows, width));
}

int rlhf_softmax_backward(int kernel, const float *upstream, const float *y, float *dx, long rows, long width) {
    DISPATCH(kernel, rows, width, RLHF_ROW_SOFTMAX_BACKWARD, softmax_backward(upstream, y, dx, rows, width));
}

int rlhf_log_softmax(int kernel, const float *x, float *y, long rows, long width) {
    DISPATCH(kernel, rows, width, RLHF_ROW_LOG_SOFTMAX, log_softmax(x, y, rows, width));
}

int rlhf_log_softmax_backward(int kernel, const float *upstream, const float *y, float *dx, long rows, long width) {
    DISPATCH(kernel, rows, width, RLHF_ROW_LOG_SOFTMAX_BACKWARD, log_softmax_backward(upstream, y, dx, rows, width));
}
