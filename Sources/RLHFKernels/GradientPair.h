// The two gradient products of C = A B as one job over both threads, for MatrixTiles.c (included there at its
// end, after rlhf_product_bias): chunks of dA = G B^T and of dB = A^T G, longest first, and the bias sums of G
// last. Only the order of work changes: every chunk is a run_chunk of one product (rlhf_product's cut, except that
// a dB of fewer than PACK_A_ROWS rows is cut by panels, one a chunk up to PAIR_PANEL_CHUNKS panels), and no sum
// crosses a chunk, so each output element takes the same terms in the same order as in either product run alone.

/// Most chunks of panels a dB of few rows is cut into (one panel each up to this many panels).
#define PAIR_PANEL_CHUNKS 8
/// Most chunks of one pair job: dA's (at most RLHF_CHUNKS), dB's (at most PAIR_PANEL_CHUNKS) and the sums.
#define PAIR_MOST_CHUNKS (RLHF_CHUNKS + PAIR_PANEL_CHUNKS + 1)
/// An entry of the pair's order: dB's chunks are marked with PAIR_RIGHT, the bias sums are PAIR_SUMS.
#define PAIR_RIGHT 0x40
#define PAIR_SUMS 0xff
// dA's chunks (rlhf_product's cut) and dB's by rows number at most RLHF_CHUNKS, dB's by panels at most
// PAIR_PANEL_CHUNKS: both must fit PAIR_MOST_CHUNKS and an entry's chunk field (below PAIR_RIGHT).
_Static_assert(RLHF_CHUNKS <= PAIR_PANEL_CHUNKS && PAIR_PANEL_CHUNKS < PAIR_RIGHT,
               "the pair's order holds at most PAIR_PANEL_CHUNKS chunks of each product");

/// The job of rlhf_product_gradients: both products planned and placed, the bias sums' operands, and the
/// order in which the job's chunks are handed out.
struct gradient_pair {
    struct product left, right;  // dA = G B^T (rows x depth), dB = A^T G (depth x columns)
    const float *g;
    float *sums;  // bias sums of G's columns, or null
    long rows, columns;
    long chunks;
    unsigned char order[PAIR_MOST_CHUNKS];  // chunk k of the job: a chunk of dA, of dB (| PAIR_RIGHT) or the sums
};

/// The multiply-adds of chunk `chunk` of a planned product, padded panels counted whole: its rows by all the
/// panels, or all the rows by its panels, times the depth. A function of the sizes alone.
static long chunk_cost(const struct product *p, long chunk) {
    long width = 2 * kernel_lanes(p->kernel), first, end;
    chunk_bounds(p, chunk, &first, &end);
    return (p->rowStep > 0 ? (end - first) * p->panels : p->rows * (end - first)) * width * p->depth;
}

/// The order of the job's chunks: every chunk of both products, longest first (by chunk_cost; equal ones dA's
/// before dB's, each product's in its own order), then the bias sums (one pass over G, mostly the shortest). The
/// two threads claim them in this order, so the last ones claimed, which set how long one thread waits for the
/// other, are the short ones (with dA's and dB's chunks by turns, the job could end on a long chunk of either).
/// Only who runs a chunk and when changes: each chunk's work stays fixed by the sizes.
static void order_pair(struct gradient_pair *job) {
    long costs[PAIR_MOST_CHUNKS], count = 0;
    for (int side = 0; side < 2; side++) {
        const struct product *p = side ? &job->right : &job->left;
        for (long chunk = 0; chunk < p->chunks; chunk++) {
            long cost = chunk_cost(p, chunk), at = count++;
            // Insertion from the end: a chunk goes after every one at least as long (stable).
            for (; at > 0 && costs[at - 1] < cost; at--) {
                costs[at] = costs[at - 1];
                job->order[at] = job->order[at - 1];
            }
            costs[at] = cost;
            job->order[at] = (unsigned char)(side ? PAIR_RIGHT | chunk : chunk);
        }
    }
    if (job->sums) job->order[count++] = PAIR_SUMS;
    job->chunks = count;
}

/// Chunk `chunk` of the job, as `order_pair` placed it: a chunk of dA, of dB, or the bias sums.
static void run_pair_chunk(void *context, long chunk) {
    struct gradient_pair *job = context;
    unsigned entry = job->order[chunk];
    if (entry != PAIR_SUMS) {
        run_chunk(entry & PAIR_RIGHT ? &job->right : &job->left, (long)(entry & (PAIR_RIGHT - 1)));
        return;
    }
    switch (job->left.kernel) {
#if defined(__x86_64__)
    case RLHF_KERNEL_AVX2: avx2_columnSums(job->g, job->rows, job->columns, job->sums); break;
    case RLHF_KERNEL_AVX512: avx512_columnSums(job->g, job->rows, job->columns, job->sums); break;
#endif
#if defined(__aarch64__)
    case RLHF_KERNEL_NEON: neon_columnSums(job->g, job->rows, job->columns, job->sums); break;
#endif
    default: break;
    }
}

int rlhf_product_gradients(int kernel, const float *g, const float *a, const float *b, float *da, float *db,
                           float *sums, long rows, long depth, long columns, int split) {
    struct gradient_pair job = {.g = g, .sums = sums, .rows = rows, .columns = columns};
    // dA (rows x depth) = G (rows x columns) B^T: B^T(d, p) = b[p * columns + d]; overwriting (from +0).
    // dB (depth x columns) = A^T G: A^T(p, d) = a[d * depth + p], G read as it is; overwriting.
    if (!plan_product(&job.left, kernel, g, columns, 1, b, 1, columns, da, depth, rows, depth, columns,
                      RLHF_MODE_OVERWRITE, split, 0)
        || !plan_product(&job.right, kernel, a, 1, depth, g, columns, 1, db, columns, depth, columns, rows,
                         RLHF_MODE_OVERWRITE, split, 0)) {
        return 0;
    }
    if (rows <= 0 || depth <= 0 || columns <= 0) return 0;  // the caller's loops handle empty products
    // A dB of few rows (the d48 layers' 48) is cut by panels of columns instead of rows: a chunk of rows reads
    // all of G, so four of them read it four times, while panels read each column of G once, as dB whole does.
    // One panel a chunk up to PAIR_PANEL_CHUNKS panels, else that many near-equal runs of panels: chunks of equal
    // size where it matters (the d48 layers' 6 panels in 4 chunks were 1, 2, 1 and 2 panels, the last a double
    // one). Only without add-total's scratch, which plan_product sized for the cut by rows.
    if (split && job.right.rows < PACK_A_ROWS && job.right.panels >= 2 && job.right.scratchCount == 0) {
        job.right.chunks = job.right.panels < PAIR_PANEL_CHUNKS ? job.right.panels : PAIR_PANEL_CHUNKS;
        job.right.rowStep = 0;
    }
    size_t leftCount = job.left.packedCount + job.left.scratchCount;
    float *memory = kept_floats(&working, leftCount + job.right.packedCount + job.right.scratchCount + 1);
    if (!memory) return 0;
    // Both B packed here, before the job is posted (a few microseconds: W^T, and G only for a dB of 64 rows or more
    // over more than 64 terms). Packing each in its product's first chunk instead, the other chunks waiting for it,
    // left the worker spinning on that wait in 4% of a world build's samples on the loaded machine (perf).
    place_product(&job.left, memory);
    place_product(&job.right, memory + leftCount);
    pack_product(&job.left);
    pack_product(&job.right);
    order_pair(&job);
    if (split) {
        rlhf_pool_run_chunks(run_pair_chunk, &job, job.chunks);
    } else {
        for (long chunk = 0; chunk < job.chunks; chunk++) run_pair_chunk(&job, chunk);
    }
    kept_trim(&working);
    return 1;
}
