// The two gradient products of C = A B as one job over both threads, for MatrixTiles.c (included there at its
// end, after rlhf_product_bias): chunks of dA = G B^T and of dB = A^T G claimed in turn, and the bias sums of G.
// Only the order of work changes: every chunk is a run_chunk of one product (rlhf_product's cut, except that a dB
// of fewer than PACK_A_ROWS rows is cut by panels), and no sum crosses a chunk, so each output element takes the
// same terms in the same order as in either product run alone.

/// The job of rlhf_product_gradients: both products planned and placed, and the bias sums' operands.
struct gradient_pair {
    struct product left, right;  // dA = G B^T (rows x depth), dB = A^T G (depth x columns)
    const float *g;
    float *sums;  // bias sums of G's columns, or null
    long rows, columns;
};

/// Chunk `chunk` of the job: the products' chunks taken by turns (dA's first, dB's first, dA's second, ...;
/// the longer one's last chunks after the other's are gone), then the bias sums as the last, short chunk. A
/// function of the sizes alone.
static void run_pair_chunk(void *context, long chunk) {
    struct gradient_pair *job = context;
    long left = job->left.chunks, right = job->right.chunks;
    long both = left < right ? left : right;
    if (chunk < 2 * both) {
        run_chunk(chunk % 2 == 0 ? &job->left : &job->right, chunk / 2);
        return;
    }
    if (chunk < left + right) {
        run_chunk(left > right ? &job->left : &job->right, chunk - both);
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
    // Only without add-total's scratch, which plan_product sized for the cut by rows.
    if (split && job.right.rows < PACK_A_ROWS && job.right.panels >= 2 && job.right.scratchCount == 0) {
        job.right.chunks = job.right.panels < RLHF_CHUNKS ? job.right.panels : RLHF_CHUNKS;
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
    long chunks = job.left.chunks + job.right.chunks + (sums ? 1 : 0);
    if (split) {
        rlhf_pool_run_chunks(run_pair_chunk, &job, chunks);
    } else {
        for (long chunk = 0; chunk < chunks; chunk++) run_pair_chunk(&job, chunk);
    }
    kept_trim(&working);
    return 1;
}
