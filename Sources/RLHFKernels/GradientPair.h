// The two gradient products of C = A B as one job over both threads, for MatrixTiles.c (included there at its
// end, after rlhf_product_bias): chunks of dA = G B^T and of dB = A^T G claimed in turn, and the bias sums of G.
// Only the order of work changes: every chunk is one of rlhf_product's own (run_chunk), so each output element
// takes the same terms in the same order as in either product run alone.

/// The job of rlhf_product_gradients: both products planned and placed, and the bias sums' operands.
struct gradient_pair {
    struct product left, right;  // dA = G B^T (rows x depth), dB = A^T G (depth x columns)
    const float *g;
    float *sums;  // bias sums of G's columns, or null
    long rows, columns;
    atomic_int packed[2];  // 1 once the left's (0), the right's (1) B is packed, by the product's first chunk
};

/// Waits until `flag` is 1 (acquire: the packed panels written before it are then seen), polling, and after
/// a while yielding the processor (the packing thread may have been descheduled).
static void wait_until_packed(atomic_int *flag) {
    for (long polls = 0; !atomic_load_explicit(flag, memory_order_acquire); polls++) {
        if (polls >= 4096) {
            sched_yield();
        } else {
#if defined(__x86_64__)
            _mm_pause();
#elif defined(__aarch64__)
            __asm__ __volatile__("yield");
#endif
        }
    }
}

/// Chunk `chunk` of the job: the products' chunks taken by turns (dA's first, dB's first, dA's second, ...;
/// the longer one's last chunks after the other's are gone), then the bias sums as the last, short chunk. A
/// function of the sizes alone. A product's first chunk packs its B (chunks 0 and 1: claimed before any other,
/// and waiting for nothing), and its later chunks wait until that is done: so the caller's packing of B^T no
/// longer holds up the worker's start on dB, nor dB's packing of G the caller.
static void run_pair_chunk(void *context, long chunk) {
    struct gradient_pair *job = context;
    long left = job->left.chunks, right = job->right.chunks;
    long both = left < right ? left : right;
    if (chunk < left + right) {
        int side = chunk < 2 * both ? (int)(chunk % 2) : left > right ? 0 : 1;
        long index = chunk < 2 * both ? chunk / 2 : chunk - both;
        struct product *p = side == 0 ? &job->left : &job->right;
        if (index == 0) {
            pack_product(p);
            atomic_store_explicit(&job->packed[side], 1, memory_order_release);
        } else {
            wait_until_packed(&job->packed[side]);
        }
        run_chunk(p, index);
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
    size_t leftCount = job.left.packedCount + job.left.scratchCount;
    float *memory = kept_floats(&working, leftCount + job.right.packedCount + job.right.scratchCount + 1);
    if (!memory) return 0;
    place_product(&job.left, memory);
    place_product(&job.right, memory + leftCount);
    atomic_init(&job.packed[0], 0);
    atomic_init(&job.packed[1], 0);
    long chunks = job.left.chunks + job.right.chunks + (sums ? 1 : 0);
    if (split) {
        rlhf_pool_run_chunks(run_pair_chunk, &job, chunks);
    } else {
        for (long chunk = 0; chunk < chunks; chunk++) run_pair_chunk(&job, chunk);
    }
    kept_trim(&working);
    return 1;
}
