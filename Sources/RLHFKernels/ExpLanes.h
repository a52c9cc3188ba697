// e^x with the bits of the engine's PortableMath.exp(Double), one Double at a time and in wide Double lanes,
// for the C files that copy it operation for operation (AttentionTemplate.h, SoftmaxTemplate.h).
//
//   NaN -> x, x > 709.79 -> +infinity, x < -745.2 -> 0, else
//   k = (x / ln2 + 1.5 2^52) - 1.5 2^52 (x / ln2 rounded to the nearest integer, ties to even),
//   r = x - k ln2, p = the Horner polynomial of ExpPolynomial.h (sum_{n <= 10} r^n / n!),
//   e^x = (p 2^h) 2^(k - h), h = k / 2 rounded toward zero, each power of two built from its bit pattern.
// Every step one IEEE operation (each including file sets `#pragma clang fp contract(off)` first).
//
// The scalar part is compiled once. The lane part is included by a template once per instruction set, after
// it defines NAME(name) (the prefixed name), TARGET, LANES and the vector types NAME(floats), NAME(doubles)
// (LANES doubles) and NAME(longs) (LANES 64-bit integers).
#include "ExpPolynomial.h"

#ifndef RLHF_EXP_LANES_SCALAR
#define RLHF_EXP_LANES_SCALAR

#define LN2 0.6931471805599453
#define INVERSE_LN2 1.4426950408889634
#define ROUNDING_SHIFT 6755399441055744.0  // 1.5 * 2^52

/// PortableMath.exp(Double), operation for operation: the lanes the vector form leaves to it.
static double portable_exp(double x) {
    if (x != x) return x;
    if (x > 709.79) return __builtin_inf();
    if (x < -745.2) return 0;
    double k = (x * INVERSE_LN2 + ROUNDING_SHIFT) - ROUNDING_SHIFT;
    double r = x - k * LN2;
    double p;
    RLHF_EXP_POLYNOMIAL(p, r);
    long power = (long)k;
    long half = power / 2;
    unsigned long firstBits = (unsigned long)(half + 1023) << 52, secondBits = (unsigned long)(power - half + 1023)
                                                                            << 52;
    double first, second;
    __builtin_memcpy(&first, &firstBits, sizeof first);
    __builtin_memcpy(&second, &secondBits, sizeof second);
    return p * first * second;
}
#endif

/// e^x lane by lane, as PortableMath.exp(Double): the vector form where every lane is in the main range
/// (as FastPortableMath.exp), else each lane by the scalar function.
static inline __attribute__((always_inline)) TARGET NAME(doubles) NAME(expWide)(NAME(doubles) wide) {
    NAME(longs) inRange = (wide <= 709.79) & (wide >= -745.2);
    if (!__builtin_reduce_and(inRange)) {
        NAME(doubles) result;
        for (int lane = 0; lane < LANES; lane++) result[lane] = portable_exp(wide[lane]);
        return result;
    }
    NAME(doubles) shifted = wide * INVERSE_LN2 + ROUNDING_SHIFT;
    NAME(doubles) k = shifted - ROUNDING_SHIFT;
    NAME(doubles) r = wide - k * LN2;
    NAME(doubles) p;
    RLHF_EXP_POLYNOMIAL(p, r);
    NAME(longs) power = (NAME(longs))shifted - (NAME(longs))((NAME(doubles))ROUNDING_SHIFT);
    NAME(longs) half = (power - (power >> 63)) >> 1;  // power / 2, rounded toward zero
    NAME(doubles) first = (NAME(doubles))((half + 1023) << 52);
    NAME(doubles) second = (NAME(doubles))((power - half + 1023) << 52);
    return p * first * second;
}

/// Float(exp(Double(x))) lane by lane, as PortableMath.exp(Float).
static inline __attribute__((always_inline)) TARGET NAME(floats) NAME(exp)(NAME(floats) x) {
    return __builtin_convertvector(NAME(expWide)(__builtin_convertvector(x, NAME(doubles))), NAME(floats));
}
