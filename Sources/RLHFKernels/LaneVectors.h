// Plain vector helpers of the lane templates (AttentionTemplate.h, RowLanesTemplate.h), included by each
// once per instruction set, after it defines NAME(name) as PREFIX##name and with PREFIX##floats and
// PREFIX##ints of LANES lanes declared (MaskedLanes.h): Double and long vectors of as many lanes, whole
// unaligned loads and stores, and a select by mask.

typedef double NAME(doubles) __attribute__((ext_vector_type(LANES)));
typedef long NAME(longs) __attribute__((ext_vector_type(LANES)));

static inline __attribute__((always_inline)) TARGET NAME(floats) NAME(load)(const float *p) {
    NAME(floats) v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) TARGET void NAME(store)(float *p, NAME(floats) v) {
    __builtin_memcpy(p, &v, sizeof v);
}

/// mask ? yes : no, lane by lane (mask lanes are 0 or -1).
static inline __attribute__((always_inline)) TARGET NAME(floats) NAME(select)(NAME(ints) mask, NAME(floats) yes,
                                                                           NAME(floats) no) {
    return (NAME(floats))((mask & (NAME(ints))yes) | (~mask & (NAME(ints))no));
}
