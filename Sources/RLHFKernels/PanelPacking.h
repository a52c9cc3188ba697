// B's side of a product for MatrixTiles.c, included there once after the kernels' sizes: B copied into the
// column panels the tiles read (`pack`), with AVX-512 a transposed B in 16 x 16 blocks through registers. Pure
// data movement: each float is copied, never computed.

#if defined(__x86_64__)
/// 16 x 16 floats transposed: row i of `target` (stride `targetStride`) is column i of the 16 rows
/// `rows` (16 loaded floats each). Pure data movement: each float is copied, never computed.
__attribute__((target("avx512f"))) static void avx512_transpose16(const __m512 rows[16], float *target,
                                                                  long targetStride) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(rows[i], rows[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(rows[i], rows[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        for (int j = 0; j < 2; j++) {
            __m512d x = _mm512_castps_pd(t[i + j]), y = _mm512_castps_pd(t[i + j + 2]);
            u[i + j] = _mm512_castpd_ps(_mm512_unpacklo_pd(x, y));
            u[i + j + 2] = _mm512_castpd_ps(_mm512_unpackhi_pd(x, y));
        }
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        u[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        u[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
        u[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        u[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
    }
    // Column i of the 16 rows, in row order, is now u[order[i]] (the middle two of each four swapped).
    static const int order[16] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
    for (int i = 0; i < 16; i++) _mm512_storeu_ps(target + i * targetStride, u[order[i]]);
}

/// `pack` for a transposed B (bDepthStride 1: column j of B is a run of `depth` floats at
/// b + j * bColumnStride), 16 x 16 blocks at a time through AVX-512 registers; the same copy.
__attribute__((target("avx512f"))) static long avx512_pack_transposed(const float *b, long bColumnStride,
                                                                      long count, long depth, long width,
                                                                      float *target) {
    long d = 0;
    for (; d + 16 <= depth; d += 16) {
        for (long lane = 0; lane < width; lane += 16) {
            __m512 rows[16];
            for (int i = 0; i < 16; i++) {
                rows[i] = lane + i < count ? _mm512_loadu_ps(b + (lane + i) * bColumnStride + d) : _mm512_setzero_ps();
            }
            avx512_transpose16(rows, target + d * width + lane, width);
        }
    }
    return d;
}
#endif

/// B(d, column) = b[d * bDepthStride + column * bColumnStride] copied into panels of `width` columns:
/// packed[(panel * depth + d) * width + lane] = B(d, panel * width + lane), 0 past the last column.
static void pack(int kernel, const float *b, long bDepthStride, long bColumnStride, long columns, long depth,
                 long width, float *packed) {
    long panels = (columns + width - 1) / width;
    for (long panel = 0; panel < panels; panel++) {
        long first = panel * width;
        long count = columns - first < width ? columns - first : width;
        float *target = packed + panel * depth * width;
        long d = 0;
#if defined(__x86_64__)
        if (kernel == RLHF_KERNEL_AVX512 && bDepthStride == 1 && bColumnStride != 1 && width % 16 == 0) {
            d = avx512_pack_transposed(b + first * bColumnStride, bColumnStride, count, depth, width, target);
        }
#endif
        for (; d < depth; d++) {
            const float *source = b + d * bDepthStride + first * bColumnStride;
            float *row = target + d * width;
            if (bColumnStride == 1) {
                memcpy(row, source, sizeof(float) * (size_t)count);
            } else {
                for (long lane = 0; lane < count; lane++) row[lane] = source[lane * bColumnStride];
            }
            for (long lane = count; lane < width; lane++) row[lane] = 0;
        }
    }
}
