// One head of causal self-attention, forward and backward, included once per instruction set by
// AttentionHeads.c with PREFIX (name prefix: avx2_, avx512_), TARGET (the function attribute that enables
// the instruction set) and LANES (floats per vector), after it defines the vector types NAME(floats) and
// NAME(ints) (lane masks) and the masked load and store NAME(loadMasked)(p, mask), NAME(storeMasked)(p, v,
// mask): only lanes whose mask is -1 are read (the others read as 0) or written, so nothing outside a
// head's own floats is touched. It undefines the macros at its end.
//
// Each element takes exactly the terms of the engine's Swift kernels (AttentionKernels.swift), in the same
// order, each one rounded multiply then one rounded add:
//   s[i, j] = ((0 + q[i, 0] k[j, 0]) + q[i, 1] k[j, 1] + ...) * scale        j <= i
//   m = max over j <= i in order (m = s >= m ? s : m, from -infinity), e[j] = Float(exp(Double(s - m)))
//   total = e[0] + e[1] + ... (from 0), w[i, j] = e[j] / total
//   out[i, d] = (0 + w[i, 0] v[0, d]) + w[i, 1] v[1, d] + ... up to j = i
// and backward dw[j] = sum_d g[i, d] v[j, d], dot = sum_{j <= i} dw[j] w[i, j], ds = (w (dw - dot)) scale,
// dq[i] += (sum_{j <= i} ds[i, j] k[j]), dk[j] = dk[j] + ds[i, j] q[i] and dv[j] = dv[j] + w[i, j] g[i]
// for i = j, j + 1, ... in turn, onto gradients of zeros (here each sum runs from +0 and is stored once: the
// same bits). Only which element is computed when differs: the scores, the softmax
// and the softmax's backward run with one query row per lane (so each row's running max, total and
// dot advance one term per step, in order), the sums over positions with one head-width index per lane.
// Lanes of rows past a row's last position (j > i) or past the block are masked out: they never add.
// The weights are saved transposed, weights[j * length + i] = w[i, j] for j <= i (the rest untouched),
// so that a block of rows is one contiguous vector for the backward's dot and dv.

#define GLUE_(x, y) x##y
#define GLUE(x, y) GLUE_(x, y)
#define NAME(name) GLUE(PREFIX, name)

#include "LaneVectors.h"

#include "ExpLanes.h"

/// Rows 0 ..< length of a (length x headWidth) strided matrix, transposed into target[d * ld + i],
/// zero in columns length ..< ld.
static inline __attribute__((always_inline)) TARGET void NAME(transpose)(const float *rows, long stride,
                                                                      long length, long headWidth, float *target,
                                                                      long ld) {
    for (long d = 0; d < headWidth; d++) {
        float *column = target + d * ld;
        for (long i = 0; i < length; i++) column[i] = rows[i * stride + d];
        for (long i = length; i < ld; i++) column[i] = 0;
    }
}

/// For the LANES rows of `columnsT` (transposed, leading ld) from `first`: target[j * ld + first + lane] =
/// (0 + sum_d columnsT[d, first + lane] rows[j, d]) * scale, for j < count. (scale 1 leaves the sum.)
static inline __attribute__((always_inline)) TARGET void NAME(dots)(const float *columnsT, long ld, long first,
                                                                 const float *rows, long stride, long count,
                                                                 long headWidth, float scale, float *target) {
    long j = 0;
    for (; j + 4 <= count; j += 4) {
        NAME(floats) acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
        const float *r = rows + j * stride;
        for (long d = 0; d < headWidth; d++) {
            NAME(floats) c = NAME(load)(columnsT + d * ld + first);
            acc0 = acc0 + c * r[d];
            acc1 = acc1 + c * r[stride + d];
            acc2 = acc2 + c * r[2 * stride + d];
            acc3 = acc3 + c * r[3 * stride + d];
        }
        NAME(store)(target + j * ld + first, acc0 * scale);
        NAME(store)(target + (j + 1) * ld + first, acc1 * scale);
        NAME(store)(target + (j + 2) * ld + first, acc2 * scale);
        NAME(store)(target + (j + 3) * ld + first, acc3 * scale);
    }
    for (; j < count; j++) {
        NAME(floats) acc = 0;
        const float *r = rows + j * stride;
        for (long d = 0; d < headWidth; d++) acc = acc + NAME(load)(columnsT + d * ld + first) * r[d];
        NAME(store)(target + j * ld + first, acc * scale);
    }
}

/// Lane masks of a block of rows first ..< first + LANES: row < length, and row >= j for a column j.
static inline __attribute__((always_inline)) TARGET NAME(ints) NAME(rowIndex)(long first) {
    NAME(ints) index;
    for (int lane = 0; lane < LANES; lane++) index[lane] = (int)first + lane;
    return index;
}

/// The end of the first block of rows: length % LANES when that is not 0, else LANES (or length).
static inline __attribute__((always_inline)) TARGET long NAME(firstBlock)(long length) {
    long partial = length % LANES;
    return partial ? partial : (length < LANES ? length : LANES);
}

/// Lanes < n of p (the others 0), and their store.
static inline __attribute__((always_inline)) TARGET NAME(floats) NAME(loadFirst)(const float *p, long n) {
    return NAME(loadMasked)(p, NAME(rowIndex)(0) < (int)n);
}

static inline __attribute__((always_inline)) TARGET void NAME(storeFirst)(float *p, NAME(floats) v, long n) {
    NAME(storeMasked)(p, v, NAME(rowIndex)(0) < (int)n);
}

/// Lanes c ..< c + LANES of a row (only those below headWidth when the row ends inside them).
#define CHUNK(p) (full ? NAME(load)(p) : NAME(loadMasked)((p), mask))

/// The sums over positions of `n` (1 ... 4) consecutive rows first + r at once (independent running sums,
/// so that they overlap), each over t = 0 ... first + r in order, one head-width index per lane:
/// out[r][d] = (0 + a(r, 0) src[0, d]) + a(r, 1) src[1, d] + ..., a(r, t) = coefficients[t * step + r],
/// stored as the total (overwriting out).
static inline __attribute__((always_inline)) TARGET void NAME(rowSums)(const int n, const float *coefficients,
                                                                    long step, const float *source, long stride,
                                                                    long first, long headWidth, float *out,
                                                                    long outStride) {
    for (long c = 0; c < headWidth; c += LANES) {
        int full = headWidth - c >= LANES;
        NAME(ints) mask = NAME(rowIndex)(c) < (int)headWidth;
        NAME(floats) acc[4] = {0, 0, 0, 0};
        for (long t = 0; t <= first; t++) {
            NAME(floats) x = CHUNK(source + t * stride + c);
            for (int r = 0; r < n; r++) acc[r] = acc[r] + coefficients[t * step + r] * x;
        }
        for (int r = 1; r < n; r++) {
            for (long t = first + 1; t <= first + r; t++) {
                acc[r] = acc[r] + coefficients[t * step + r] * CHUNK(source + t * stride + c);
            }
        }
        for (int r = 0; r < n; r++) {
            float *target = out + r * outStride + c;
            if (full) {
                NAME(store)(target, acc[r]);
            } else {
                NAME(storeMasked)(target, acc[r], mask);
            }
        }
    }
}

/// The running sums of `n` (1 ... 4) consecutive rows first + r at once, each from +0 over t = first + r, ...,
/// length - 1 in order: out[r][d] = (0 + a(r, first + r) src[first + r, d]) + ... term by term,
/// a(r, t) = coefficients[r * step + t] (the bits of adding the terms onto an `out` of zeros; `out` is only
/// written).
static inline __attribute__((always_inline)) TARGET void NAME(columnSums)(const int n, const float *coefficients,
                                                                       long step, const float *source,
                                                                       long stride, long first, long length,
                                                                       long headWidth, float *out,
                                                                       long outStride) {
    for (long c = 0; c < headWidth; c += LANES) {
        int full = headWidth - c >= LANES;
        NAME(ints) mask = NAME(rowIndex)(c) < (int)headWidth;
        NAME(floats) acc[4] = {0, 0, 0, 0};
        for (int r = 0; r < n - 1; r++) {
            for (long t = first + r; t < first + n - 1; t++) {
                acc[r] = acc[r] + coefficients[r * step + t] * CHUNK(source + t * stride + c);
            }
        }
        for (long t = first + n - 1; t < length; t++) {
            NAME(floats) x = CHUNK(source + t * stride + c);
            for (int r = 0; r < n; r++) acc[r] = acc[r] + coefficients[r * step + t] * x;
        }
        for (int r = 0; r < n; r++) {
            if (full) {
                NAME(store)(out + r * outStride + c, acc[r]);
            } else {
                NAME(storeMasked)(out + r * outStride + c, acc[r], mask);
            }
        }
    }
}

#undef CHUNK

static TARGET void NAME(attention_forward)(const float *queries, const float *keys, const float *values, long stride,
                                           long length, long headWidth, float scale, float *output,
                                           long outputStride, float *weights, float *scratch) {
    long ld = (length + LANES - 1) / LANES * LANES;
    float *queriesT = scratch;                 // headWidth x ld
    float *matrix = scratch + headWidth * ld;  // length x ld: scores, then weights, [j * ld + i]
    NAME(transpose)(queries, stride, length, headWidth, queriesT, ld);
    // Blocks of rows [first, count): the partial one (length % LANES rows) first, as it has the fewest columns.
    for (long first = 0, count = NAME(firstBlock)(length); first < length; first = count, count += LANES) {
        NAME(ints) row = NAME(rowIndex)(first);
        NAME(ints) valid = row < (int)count;  // columns j < count
        NAME(dots)(queriesT, ld, first, keys, stride, count, headWidth, scale, matrix);
        // Softmax over j <= i, one row per lane.
        NAME(floats) largest = -__builtin_inff();
        for (long j = 0; j < count; j++) {
            NAME(floats) s = NAME(load)(matrix + j * ld + first);
            largest = NAME(select)((row >= (int)j) & (s >= largest), s, largest);
        }
        NAME(floats) total = 0;
        for (long j = 0; j < count; j++) {
            NAME(ints) active = row >= (int)j;
            NAME(floats) s = NAME(load)(matrix + j * ld + first);
            NAME(floats) e = NAME(exp)(NAME(select)(active, s - largest, (NAME(floats))0));
            NAME(store)(matrix + j * ld + first, e);
            total = NAME(select)(active, total + e, total);
        }
        for (long j = 0; j < count; j++) {
            NAME(ints) active = (row >= (int)j) & valid;
            NAME(floats) w = NAME(select)(active, NAME(load)(matrix + j * ld + first) / total, (NAME(floats))0);
            NAME(store)(matrix + j * ld + first, w);
            if (weights) NAME(storeMasked)(weights + j * length + first, w, active);
        }
    }
    // out[i] = sum_{j <= i} w[i, j] v[j], one head-width index per lane, four rows at once, then one.
    for (long i = 0; i < length; i += length - i >= 4 ? 4 : 1) {
        float *out = output + i * outputStride;
        if (length - i >= 4) {
            NAME(rowSums)(4, matrix + i, ld, values, stride, i, headWidth, out, outputStride);
        } else {
            NAME(rowSums)(1, matrix + i, ld, values, stride, i, headWidth, out, outputStride);
        }
    }
}

static TARGET void NAME(attention_backward)(const float *queries, const float *keys, const float *values,
                                            long stride, const float *weights, const float *upstream,
                                            long upstreamStride, float *dQueries, float *dKeys, float *dValues,
                                            long length, long headWidth, float scale, float *scratch) {
    long ld = (length + LANES - 1) / LANES * LANES;
    float *upstreamT = scratch;                // headWidth x ld
    float *matrix = scratch + headWidth * ld;  // length x ld: dw, then ds, [j * ld + i]
    NAME(transpose)(upstream, upstreamStride, length, headWidth, upstreamT, ld);
    for (long first = 0, count = NAME(firstBlock)(length); first < length; first = count, count += LANES) {
        NAME(ints) row = NAME(rowIndex)(first);
        NAME(ints) valid = row < (int)count;
        // dw[i, j] = sum_d g[i, d] v[j, d]
        NAME(dots)(upstreamT, ld, first, values, stride, count, headWidth, 1, matrix);
        NAME(floats) dot = 0;
        for (long j = 0; j < count; j++) {
            NAME(ints) active = (row >= (int)j) & valid;
            NAME(floats) w = NAME(loadMasked)(weights + j * length + first, active);
            NAME(floats) dw = NAME(load)(matrix + j * ld + first);
            dot = NAME(select)(active, dot + dw * w, dot);
        }
        // ds[i, j] = (w (dw - dot)) scale
        for (long j = 0; j < count; j++) {
            NAME(ints) active = (row >= (int)j) & valid;
            NAME(floats) w = NAME(loadMasked)(weights + j * length + first, active);
            NAME(floats) dw = NAME(load)(matrix + j * ld + first);
            NAME(store)(matrix + j * ld + first, (w * (dw - dot)) * scale);
        }
    }
    // dq[i] = sum_{j <= i} ds[i, j] k[j]; dk[j] = sum of ds[i, j] q[i] and dv[j] = sum of w[i, j] g[i] over
    // i = j, j + 1, ... in turn, each from +0 (the bits of adding them onto zeros: a sum from +0 is never -0,
    // and 0 + S is S): four rows (positions) at once, then one. dQueries, dKeys, dValues are only written.
    for (long i = 0; i < length; i += length - i >= 4 ? 4 : 1) {
        float *dq = dQueries + i * stride, *dk = dKeys + i * stride, *dv = dValues + i * stride;
        const float *ds = matrix + i * ld, *w = weights + i * length;
        if (length - i >= 4) {
            NAME(rowSums)(4, matrix + i, ld, keys, stride, i, headWidth, dq, stride);
            NAME(columnSums)(4, ds, ld, queries, stride, i, length, headWidth, dk, stride);
            NAME(columnSums)(4, w, length, upstream, upstreamStride, i, length, headWidth, dv, stride);
        } else {
            NAME(rowSums)(1, matrix + i, ld, keys, stride, i, headWidth, dq, stride);
            NAME(columnSums)(1, ds, ld, queries, stride, i, length, headWidth, dk, stride);
            NAME(columnSums)(1, w, length, upstream, upstreamStride, i, length, headWidth, dv, stride);
        }
    }
}

// The decoder's attention from one new position, with the helpers above.
#include "CachedAttentionTemplate.h"

#undef NAME
#undef PREFIX
#undef TARGET
#undef LANES
#undef GLUE
#undef GLUE_
