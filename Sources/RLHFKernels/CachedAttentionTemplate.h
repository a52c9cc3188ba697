// The decoder's attention from one new position over a key/value cache (CachedAttention.swift), included by
// AttentionTemplate.h once per instruction set before it undefines its macros: it uses that file's PREFIX,
// TARGET, LANES, NAME and vector helpers (load, store, loadMasked, storeMasked, select, rowIndex, exp).

#define CHUNK(p) (full ? NAME(load)(p) : NAME(loadMasked)((p), mask))

/// The decoder's attention from one new position (CachedAttention.swift), `heads` heads of `headWidth`:
/// head h reads its query at query + h headWidth, its keys transposed at keysT + h headWidth leading
/// ([d][position]) and its values at values + h headWidth (position j at + j valueStride), and writes
/// output + h headWidth. Per head, over the first `count` positions, the terms and order of the forward
/// above for its last row: s_j = (0 + q_0 k_0j + ...) * scale with LANES positions per lane vector (lanes
/// past `count` masked), m = max in order, e_j = Float(exp(Double(s_j - m))), total = e_0 + e_1 + ... in
/// order, w_j = e_j / total, out_d = (0 + w_0 v_0d) + w_1 v_1d + ... with one head-width index per lane.
/// `scores` holds count rounded up to LANES floats.
static TARGET void NAME(cached_heads)(const float *query, const float *keysT, long leading, const float *values,
                                      long valueStride, long count, long heads, long headWidth, float scale,
                                      float *scores, float *output) {
    long blocks = (count + LANES - 1) / LANES;
    for (long h = 0; h < heads; h++) {
        const float *q = query + h * headWidth, *k = keysT + h * headWidth * leading, *v = values + h * headWidth;
        for (long b = 0; b < blocks; b++) {
            long first = b * LANES;
            int full = count - first >= LANES;
            NAME(ints) mask = NAME(rowIndex)(first) < (int)count;
            NAME(floats) acc = 0;
            for (long d = 0; d < headWidth; d++) {
                const float *row = k + d * leading + first;
                acc = acc + (full ? NAME(load)(row) : NAME(loadMasked)(row, mask)) * q[d];
            }
            NAME(store)(scores + first, acc * scale);
        }
        float largest = -__builtin_inff();
        for (long j = 0; j < count; j++) largest = scores[j] >= largest ? scores[j] : largest;
        for (long b = 0; b < blocks; b++) {
            // Lanes past `count` take s = m (e^0 = 1, never read), so that only real scores can leave the
            // exponential's main range.
            NAME(ints) mask = NAME(rowIndex)(b * LANES) < (int)count;
            NAME(floats) s = NAME(select)(mask, NAME(load)(scores + b * LANES), (NAME(floats))largest);
            NAME(store)(scores + b * LANES, NAME(exp)(s - largest));
        }
        float total = 0;
        for (long j = 0; j < count; j++) total += scores[j];
        for (long b = 0; b < blocks; b++) NAME(store)(scores + b * LANES, NAME(load)(scores + b * LANES) / total);
        float *out = output + h * headWidth;
        for (long c = 0; c < headWidth; c += LANES) {
            int full = headWidth - c >= LANES;
            NAME(ints) mask = NAME(rowIndex)(c) < (int)headWidth;
            NAME(floats) acc = 0;
            for (long j = 0; j < count; j++) acc = acc + scores[j] * CHUNK(v + j * valueStride + c);
            if (full) {
                NAME(store)(out + c, acc);
            } else {
                NAME(storeMasked)(out + c, acc, mask);
            }
        }
    }
}

#undef CHUNK
