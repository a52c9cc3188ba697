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

/// Heads h0 ... h0 + G - 1 of `cached_heads` side by side (G a constant after inlining, at most 4), each with its
/// own scores at scores + i rounded (rounded = count rounded up to LANES): every head's values are those of
/// `cached_heads`, each of its sums over the same terms in the same order, but the G heads' chains (the score
/// sums over d, the running maximum, the exponentials, the total over j, the value sums over j) are independent
/// and interleaved, so each one's latency overlaps the others' instead of adding to them.
static inline __attribute__((always_inline)) TARGET void NAME(cached_group)(
    const int G, const float *query, const float *keysT, long leading, const float *values, long valueStride,
    long count, long headWidth, float scale, float *scores, long rounded, float *output) {
    long blocks = (count + LANES - 1) / LANES;
    const float *q[4], *k[4], *v[4];
    float *s[4];
    for (int i = 0; i < G; i++) {
        q[i] = query + i * headWidth;
        k[i] = keysT + i * headWidth * leading;
        v[i] = values + i * headWidth;
        s[i] = scores + i * rounded;
    }
    for (long b = 0; b < blocks; b++) {
        long first = b * LANES;
        int full = count - first >= LANES;
        NAME(ints) mask = NAME(rowIndex)(first) < (int)count;
        NAME(floats) acc[4];
        for (int i = 0; i < G; i++) acc[i] = 0;
        for (long d = 0; d < headWidth; d++) {
            for (int i = 0; i < G; i++) {
                const float *row = k[i] + d * leading + first;
                acc[i] = acc[i] + (full ? NAME(load)(row) : NAME(loadMasked)(row, mask)) * q[i][d];
            }
        }
        for (int i = 0; i < G; i++) NAME(store)(s[i] + first, acc[i] * scale);
    }
    float largest[4], total[4];
    for (int i = 0; i < G; i++) largest[i] = -__builtin_inff();
    for (long j = 0; j < count; j++) {
        for (int i = 0; i < G; i++) largest[i] = s[i][j] >= largest[i] ? s[i][j] : largest[i];
    }
    for (long b = 0; b < blocks; b++) {
        NAME(ints) mask = NAME(rowIndex)(b * LANES) < (int)count;
        for (int i = 0; i < G; i++) {
            NAME(floats) x = NAME(select)(mask, NAME(load)(s[i] + b * LANES), (NAME(floats))largest[i]);
            NAME(store)(s[i] + b * LANES, NAME(exp)(x - largest[i]));
        }
    }
    for (int i = 0; i < G; i++) total[i] = 0;
    for (long j = 0; j < count; j++) {
        for (int i = 0; i < G; i++) total[i] += s[i][j];
    }
    for (long b = 0; b < blocks; b++) {
        for (int i = 0; i < G; i++) NAME(store)(s[i] + b * LANES, NAME(load)(s[i] + b * LANES) / total[i]);
    }
    for (long c = 0; c < headWidth; c += LANES) {
        int full = headWidth - c >= LANES;
        NAME(ints) mask = NAME(rowIndex)(c) < (int)headWidth;
        NAME(floats) acc[4];
        for (int i = 0; i < G; i++) acc[i] = 0;
        for (long j = 0; j < count; j++) {
            for (int i = 0; i < G; i++) acc[i] = acc[i] + s[i][j] * CHUNK(v[i] + j * valueStride + c);
        }
        for (int i = 0; i < G; i++) {
            float *out = output + i * headWidth + c;
            if (full) {
                NAME(store)(out, acc[i]);
            } else {
                NAME(storeMasked)(out, acc[i], mask);
            }
        }
    }
}

/// `cached_heads` with the heads four at a time side by side (`cached_group`); `scores` holds `heads` rows of
/// count rounded up to LANES floats.
static TARGET void NAME(cached_heads_grouped)(const float *query, const float *keysT, long leading,
                                              const float *values, long valueStride, long count, long heads,
                                              long headWidth, float scale, float *scores, float *output) {
    long rounded = (count + LANES - 1) / LANES * LANES;
    for (long h = 0; h < heads; h += 4) {
        const float *q = query + h * headWidth, *k = keysT + h * headWidth * leading, *v = values + h * headWidth;
        float *s = scores + h * rounded, *out = output + h * headWidth;
        switch (heads - h >= 4 ? 4 : heads - h) {
        case 4: NAME(cached_group)(4, q, k, leading, v, valueStride, count, headWidth, scale, s, rounded, out); break;
        case 3: NAME(cached_group)(3, q, k, leading, v, valueStride, count, headWidth, scale, s, rounded, out); break;
        case 2: NAME(cached_group)(2, q, k, leading, v, valueStride, count, headWidth, scale, s, rounded, out); break;
        default: NAME(cached_group)(1, q, k, leading, v, valueStride, count, headWidth, scale, s, rounded, out); break;
        }
    }
}

#undef CHUNK
