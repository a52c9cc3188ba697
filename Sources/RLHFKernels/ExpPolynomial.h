// The polynomial of the engine's PortableMath.exp(Double), shared by the C files that copy it operation for
// operation (GeluLanes.c, AttentionHeads.c and its AttentionTemplate.h).
//
// On the reduced argument r = x - k ln 2 (|r| <= ln 2 / 2), e^r ~ sum of r^n / n! for n = 0...10, evaluated
// by Horner's rule from the highest term: p = 1/10!, then p = p r + 1/n! for n = 9, ..., 0, each step one
// rounded multiply and one rounded add (every including file sets `#pragma clang fp contract(off)` first, so
// no step fuses). `P` and `R` are a double or a vector of doubles (ext_vector_type), declared by the caller.
#ifndef RLHF_EXP_POLYNOMIAL_H
#define RLHF_EXP_POLYNOMIAL_H

#define RLHF_EXP_POLYNOMIAL(P, R)   \
    do {                            \
        P = 1.0 / 3628800.0;        \
        P = P * R + 1.0 / 362880.0; \
        P = P * R + 1.0 / 40320.0;  \
        P = P * R + 1.0 / 5040.0;   \
        P = P * R + 1.0 / 720.0;    \
        P = P * R + 1.0 / 120.0;    \
        P = P * R + 1.0 / 24.0;     \
        P = P * R + 1.0 / 6.0;      \
        P = P * R + 0.5;            \
        P = P * R + 1.0;            \
        P = P * R + 1.0;            \
    } while (0)

#endif
