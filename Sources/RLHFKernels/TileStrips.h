// A's side of a product for MatrixTiles.c, included there once after the tiles: the strips a transposed A is
// copied into, the chunks of 192 rows a large A is taken in, and one part of a product run through them. Pure
// data movement and order of work: no sum changes (see run_part).

/// Products whose A is a transposed matrix (aRowStride 1) with at least this many rows and terms per
/// sum copy A into strips first: read in place, each step of a sum loads its rows from a line
/// aDepthStride floats after the last one's, and at the d192 weight gradients (a stride of 768 or 3072
/// bytes) those lines fall into a few level-1 cache sets and evict one another.
#define PACK_A_ROWS 64
#define PACK_A_DEPTH 64
/// ... and a C of at least this many panels of columns: the copy costs a pass over A, which every panel then reads.
/// With fewer it did not pay: one thread, best of 2 x ~20 runs each on the loaded machine (AVX-512), A^T G of
/// 192 x 48 (two panels) over 608 terms (the default world's c_proj weight gradient) took 240 us with the strips
/// and 142 us read in place; 384 x 96 over 384 terms (three panels) 490 and 331 us.
#define PACK_A_PANELS 4

/// Whether a product's A is copied into strips for `rows` of its rows (see PACK_A_ROWS): a transposed A, a
/// product of PACK_A_PANELS panels or more and sums of PACK_A_DEPTH terms or more.
static int strips_pay(const struct product *p, long rows) {
    return p->aRowStride == 1 && p->aDepthStride != 1 && rows >= PACK_A_ROWS && p->depth >= PACK_A_DEPTH
        && p->panels >= PACK_A_PANELS;
}

/// Rows of A taken together when A holds more than CHUNK_FLOATS floats (a quarter of the AVX-512 machine's
/// 2 MB level-2 cache; the AMD EPYC's is 512 KB, where 64 rows did no better): a multiple of every kernel's
/// ROWS (4, 8), so only the last chunk has shorter strips.
#define CHUNK_ROWS 192
#define CHUNK_FLOATS ((long)1 << 17)

/// A's rows [0, rows) copied into the strips `block` in TileTemplate.h reads: strips of `height` (the kernel's ROWS,
/// 8 or 4: kernel_rows) rows, then of 4, then of 1, the strip of height h at row r holding A(r + i, d) at
/// target[r * depth + d * h + i]. Pure data movement: each float is copied, never computed. The transposed A that
/// strips_pay asks for has each term's rows side by side (a row stride of 1), so a strip's floats of one term are one
/// block of the source, copied at once (8 or 4 floats: one or two vector moves). Copied one float at a time, through
/// the row stride, the copy took a fifth of the 768 x 768 x 192 weight gradient's time on one thread (`perf`), and the
/// product ran at 68 GFLOP/s against 76 with blocks (tools/tile_bench.c's d192 batch 64 shapes, two rounds, the Intel
/// machine of README's "Speed").
static void packRows(const float *a, long aDepthStride, long rows, long depth, long height, float *target) {
    long fullRows = rows / height * height;
    long fourRows = fullRows + (rows - fullRows) / 4 * 4;
    for (long d = 0; d < depth; d++) {
        const float *source = a + d * aDepthStride;
        long row = 0;
        if (height == 8) {
            for (; row < fullRows; row += 8) memcpy(target + row * depth + d * 8, source + row, 8 * sizeof(float));
        }
        for (; row < fourRows; row += 4) memcpy(target + row * depth + d * 4, source + row, 4 * sizeof(float));
        for (; row < rows; row++) target[row * depth + d] = source[row];
    }
}

/// This thread's memory for A's packed strips (`run_rows`), apart from the panels' (`working` in
/// MatrixTiles.c): each chunk of rows packs its own rows while the caller's packed B is read by both.
static _Thread_local struct kept_buffer rowsWorking;

/// Rows [first, first + rows) by panels [firstPanel, lastPanel) of a product, in its kernel's tiles,
/// with A packed first (in this thread's memory) when that pays (`strips_pay`).
static void run_rows(const struct product *p, long first, long rows, long firstPanel, long lastPanel,
                     float *scratch) {
    const float *a = p->a + first * p->aRowStride;
    float *c = p->c + first * p->ldc;
    int aPacked = strips_pay(p, rows);
    if (aPacked) {
        float *strips = kept_floats(&rowsWorking, (size_t)(rows * p->depth));
        if (strips) {
            packRows(a, p->aDepthStride, rows, p->depth, kernel_rows(p->kernel), strips);
            a = strips;
        } else {
            aPacked = 0;
        }
    }
    switch (p->kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2:
        avx2_panels(a, p->aRowStride, p->aDepthStride, aPacked, p->b, p->ldb, p->packed, c, p->ldc, rows,
                    p->columns, p->depth, p->mode, firstPanel, lastPanel, scratch);
        break;
    case RLHF_KERNEL_AVX512:
        avx512_panels(a, p->aRowStride, p->aDepthStride, aPacked, p->b, p->ldb, p->packed, c, p->ldc, rows,
                      p->columns, p->depth, p->mode, firstPanel, lastPanel, scratch);
        break;
#endif
#if defined(__aarch64__)
    case RLHF_KERNEL_NEON:
        neon_panels(a, p->aRowStride, p->aDepthStride, aPacked, p->b, p->ldb, p->packed, c, p->ldc, rows,
                    p->columns, p->depth, p->mode, firstPanel, lastPanel, scratch);
        break;
#endif
    default: break;
    }
}

/// A part of a product: its rows in chunks of CHUNK_ROWS when A has more than CHUNK_FLOATS floats, else
/// at once. Every panel reads all of a chunk's A; taken whole, an A larger than the level-2 cache comes
/// back from the level-3 cache for each panel (the d192 products of 2048 rows: 1.5 to 6 MB), while a chunk
/// (at most 192 x 2048 floats at the ladder's sizes) stays in level 2 across the panels. Which rows go
/// together changes no sum: each element still takes its terms in order from its row of A and its column.
static void run_part(const struct product *p, long first, long rows, long firstPanel, long lastPanel,
                     float *scratch) {
    long chunk = rows * p->depth > CHUNK_FLOATS ? CHUNK_ROWS : rows;
    for (long start = 0; start < rows; start += chunk) {
        run_rows(p, first + start, rows - start < chunk ? rows - start : chunk, firstPanel, lastPanel, scratch);
    }
    kept_trim(&rowsWorking);
}
