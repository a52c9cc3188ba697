// Matrix tiles for wide vector units, chosen at run time, and a two-thread worker pool.
//
// Every tile computes C (rows x columns) op= sum over d < depth of A(row, d) * B(d, column), with
// A(row, d) = a[row * aRowStride + d * aDepthStride] and B(d, column) = b[d * ldb + column], each sum
// taken left to right with one IEEE multiply and one IEEE add per term (no fused multiply-add), exactly
// as the engine's plain loops (MatrixKernels.swift) take it. Only the order in which different output
// elements are computed differs between the kernels, so all of them give the same bits.
#ifndef RLHF_KERNELS_H
#define RLHF_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// How a tile starts and finishes an output element (the values of FastMatrixKernels.Mode).
enum {
    RLHF_MODE_OVERWRITE = 0,   // C = 0 + terms
    RLHF_MODE_ACCUMULATE = 1,  // C = C + terms, each term added into C in turn
    RLHF_MODE_ADD_TOTAL = 2,   // C = C + (0 + terms)
};

/// The kernels. RLHF_KERNEL_PORTABLE is the engine's own Swift path (not in this library).
enum {
    RLHF_KERNEL_PORTABLE = 0,
    RLHF_KERNEL_AVX2 = 1,
    RLHF_KERNEL_AVX512 = 2,
    RLHF_KERNEL_NEON = 3,
    RLHF_KERNEL_COUNT = 4,
};

/// Whether `kernel` can run on this processor (the portable kernel always can).
int rlhf_kernel_available(int kernel);

/// The kernel to use: the one named by the environment variable RLHF_KERNELS ("portable", "avx2",
/// "avx512", "neon") when it is available, else the widest available. `forced_unavailable` is set to 1
/// when RLHF_KERNELS names something this machine cannot run (the portable kernel is then chosen).
int rlhf_kernel_choose(int *forced_unavailable);

/// C op= A B in the tiles of `kernel` (not RLHF_KERNEL_PORTABLE), with B(d, column) read from
/// b[d * bDepthStride + column * bColumnStride] (so B may be a transposed matrix). B is packed once
/// into panels that every row of A (and every chunk of a split product) then reads, except that a
/// product of fewer than 64 rows or at most 64 terms per sum with B not transposed reads B's full
/// panels in place. A transposed A (aRowStride 1) of 64 rows and 64 terms or more, in a C of 4 panels or more,
/// is copied into strips of the tile's rows, and an A of more than 2^17 floats is taken 192 rows at a time (both
/// change no sum; see MatrixTiles.c). With `split`, C is cut into up to 4 chunks, of rows (at multiples of the
/// tile's rows) when it has 16 or more, else of panels of columns, which the caller and the pool's worker claim in
/// turn (rlhf_pool_run_chunks); the cut depends only on the sizes and no sum crosses it. Returns 0 (and does nothing)
/// when `kernel` is not available.
int rlhf_product(int kernel, const float *a, long aRowStride, long aDepthStride, const float *b,
                 long bDepthStride, long bColumnStride, float *c, long ldc, long rows, long columns, long depth,
                 int mode, int split);

// pair (the products' remaining imbalance): the affine's bias inside the product, both gradient products in one job.
/// rlhf_product with, when `bias` is not null, C[row, column] = C[row, column] + bias[column] for every output once
/// its sums are stored (in the chunk that computed the row or the columns): the affine map's y = sum + b, the
/// same two roundings as the product followed by the add.
int rlhf_product_bias(int kernel, const float *a, long aRowStride, long aDepthStride, const float *b,
                      long bDepthStride, long bColumnStride, float *c, long ldc, long rows, long columns, long depth,
                      int mode, int split, const float *bias);

/// The gradients of C = A B, A (rows x depth) and B (depth x columns) row-major, from G = dL/dC (rows x columns):
/// dA = G B^T into `da` and dB = A^T G into `db` (both overwritten: each element the sum from +0 over its terms in
/// order, as rlhf_product's overwrite mode gives it), and, when `sums` is not null, sums[j] = 0 + G[0, j] +
/// G[1, j] + ... (rows in order). With `split`, one job on both threads (rlhf_pool_run_chunks): the products'
/// chunks (as rlhf_product cuts each with `split`, but a dB of fewer than 64 rows by panels of columns: one panel a
/// chunk up to 8 panels, else 8 near-equal runs of panels) longest first, then the sums; else the same chunks in order
/// here.
/// Returns 0 (doing nothing) for the portable kernel, an unavailable one, or no rows, depth or columns.
int rlhf_product_gradients(int kernel, const float *g, const float *a, const float *b, float *da, float *db,
                           float *sums, long rows, long depth, long columns, int split);

/// One-row product (decode): c[j] = 0 + a[0] B[0, j] + ... + a[depth-1] B[depth-1, j] for j < columns,
/// B(d, j) = b[d * ldb + j], in `kernel`'s lanes, up to 16 vectors of columns side by side (RowProducts.c): the
/// bits of rlhf_product's overwrite mode for one row. `columns` must be a multiple of 32. With `split`, the
/// columns are cut at a multiple of 16 near the middle and the halves run on the caller and the pool's
/// worker. Returns 0 (doing nothing) for the portable kernel or a width that is not a multiple of 32.
int rlhf_row_product(int kernel, const float *a, const float *b, long ldb, float *c, long columns, long depth,
                     int split);

// token (generation's per-token cost): one-row products of any multiple of 16 columns.
/// rlhf_row_product for `columns` a multiple of 16 (instead of 32): the same sums, each output element from +0
/// over d in order; with `split`, the same cut (columns / 64 * 32, none when that is 0). Returns 0 (doing
/// nothing) for the portable kernel, an unavailable one or a width that is not a multiple of 16.
int rlhf_row_columns(int kernel, const float *a, const float *b, long ldb, float *c, long columns, long depth,
                     int split);
/// rlhf_cached_attention with the heads four at a time side by side, each head's chains interleaved with the
/// others' (the same values, every sum over the same terms in the same order): `scores` is scratch for `heads`
/// rows of `count` rounded up to 16 floats. Returns 0 (doing nothing) where rlhf_cached_attention does.
int rlhf_cached_attention_grouped(int kernel, const float *query, const float *keysTransposed, long leading,
                                  const float *values, long valueStride, long count, long heads, long headWidth,
                                  float scale, float *scores, float *output);

/// The decoder's attention from one new position over a key/value cache, `heads` heads of `headWidth`
/// (keys transposed per head, [d][position], rows `leading` floats apart; values [position][valueStride]),
/// in `kernel`'s lanes with the bits of CachedAttention.head (see CachedAttentionTemplate.h): over the first
/// `count` positions, scores, softmax and the value sums of each head into output + h headWidth. `scores`
/// is scratch for `count` rounded up to 16 floats. Returns 0 (doing nothing) for a kernel without these
/// lanes (portable, neon) or a kernel this processor lacks.
int rlhf_cached_attention(int kernel, const float *query, const float *keysTransposed, long leading,
                          const float *values, long valueStride, long count, long heads, long headWidth, float scale,
                          float *scores, float *output);

/// GELU's tanh form y = 0.5 x (1 + tanh(c (x + a x^3))) for `count` floats in `kernel`'s wide Double
/// lanes, with the bits of the engine's FastPortableMath (see GeluLanes.c); `tanhOut`, when not null,
/// receives each tanh. `constants` is {c, a, b = 3 a} as Float. Returns 0 (doing nothing) for a kernel
/// without these lanes (portable, neon): the caller then runs its own.
int rlhf_gelu(int kernel, const float *x, float *y, long count, float *tanhOut, const float *constants);

/// dx = g gelu'(x) for `count` floats, from the saved tanh values when `tanhValues` is not null, as
/// rlhf_gelu. Returns 0 (doing nothing) for a kernel without these lanes.
int rlhf_gelu_backward(int kernel, const float *x, const float *g, float *dx, long count, const float *tanhValues,
                       const float *constants);

/// Floats of working memory one attention head of `length` positions and `headWidth` needs (below).
long rlhf_attention_scratch(long length, long headWidth);

/// One head of causal self-attention in `kernel`'s lanes, with the bits of the engine's Swift loops
/// (AttentionKernels.forwardHead; see AttentionTemplate.h): output rows i < length (stride outputStride)
/// from the query, key and value rows (stride `stride`), and, when `weights` is not null, the softmax
/// weights saved transposed, weights[j * length + i] for j <= i (the others left as they are). Returns 0
/// (doing nothing) for a kernel without these lanes (portable, neon): the caller then runs its own.
int rlhf_attention_forward(int kernel, const float *queries, const float *keys, const float *values, long stride,
                           long length, long headWidth, float scale, float *output, long outputStride,
                           float *weights, float *scratch);

/// The gradients of one head, written into the head's columns of dQueries, dKeys, dValues (stride `stride`;
/// they may start uninitialised), from the weights rlhf_attention_forward saved and the upstream gradient rows,
/// with the bits of AttentionKernels.backwardHead adding them onto zeros. Returns 0 (doing nothing) for a
/// kernel without these lanes.
int rlhf_attention_backward(int kernel, const float *queries, const float *keys, const float *values, long stride,
                            const float *weights, const float *upstream, long upstreamStride, float *dQueries,
                            float *dKeys, float *dValues, long length, long headWidth, float scale,
                            float *scratch);

/// One Adam step on `count` values in `kernel`'s wide Float lanes, with the bits of the engine's Adam.update
/// (see AdamLanes.c): g = gradient * scale, then first (m), second (v) and values updated in place.
/// `constants` is {scale, beta1, beta2, epsilon, learningRate, correction1, correction2}. Returns 0 (doing
/// nothing) for a kernel without these lanes (portable, neon): the caller then runs its own.
int rlhf_adam(int kernel, const float *gradient, float *first, float *second, float *values, long count,
              const float *constants);

/// The arithmetic ceiling (PeakRate.c): `steps` steps of independent chains acc = acc + v * c (one multiply,
/// then one add, never fused) in `kernel`'s widest lanes, on this thread, or with `split` once on each of
/// the caller and the pool's worker at once. Returns the multiply-adds done (0, doing nothing, for a kernel
/// without such a loop: portable). `seconds`, when not null, receives the processor time of the part that
/// ran longest (its thread's own clock, CLOCK_THREAD_CPUTIME_ID: time the thread was not running does not
/// count), or of both parts when the caller ran both (the worker taken or absent, or part 1 claimed back
/// before the worker took it: told by the thread that ran each part); `checksum`, when not null,
/// the chains' sum.
long rlhf_peak(int kernel, long steps, int split, double *seconds, float *checksum);

/// Row-wise ops in `kernel`'s wide Float lanes (AVX2, AVX-512; see RowLanes.c, LayerNormTemplate.h and
/// SoftmaxTemplate.h) with the bits of the engine's Swift loops (LayerNorm.swift, Softmax.swift): each row's
/// sums over its columns in column order (one row per lane), each column's sums over the rows in row order.
/// All take `rows` consecutive rows of `width` floats. Each returns 0 (doing nothing) for a kernel without
/// these lanes (portable, neon), a width of 0 or fewer than 4 rows: the caller then runs its own loops.
///
/// Layer norm: y = xhat gamma + beta, xhat = (x - mean) s, s = 1 / sqrt(var + epsilon) (biased var); xhat
/// into `normalised` and s into `inverseDeviations` when they are not null.
int rlhf_layer_norm(int kernel, const float *x, long rows, long width, float epsilon, const float *gamma,
                    const float *beta, float *y, float *normalised, float *inverseDeviations);

/// Layer norm's dx = s ((gx - mean(gx)) - xhat mean(gx xhat)), gx = g gamma, from the saved xhat and s.
int rlhf_layer_norm_input_gradient(int kernel, const float *upstream, const float *normalised, const float *gamma,
                                   const float *inverseDeviations, long rows, long width, float *dx);

/// Layer norm's dgamma += sum over rows of g xhat and dbeta += sum over rows of g, for the columns
/// firstColumn ..< endColumn only.
int rlhf_layer_norm_parameter_gradients(int kernel, const float *upstream, const float *normalised, long rows,
                                        long width, long firstColumn, long endColumn, float *dGamma, float *dBeta);

/// Softmax y = e^(x - max) / sum e^(x - max), and its backward dx = y (g - sum g y).
int rlhf_softmax(int kernel, const float *x, float *y, long rows, long width);
int rlhf_softmax_backward(int kernel, const float *upstream, const float *y, float *dx, long rows, long width);

/// Log-softmax y = (x - max) - log sum e^(x - max) (the sum in Double), and its backward dx = g - e^y sum g.
int rlhf_log_softmax(int kernel, const float *x, float *y, long rows, long width);
int rlhf_log_softmax_backward(int kernel, const float *upstream, const float *y, float *dx, long rows, long width);

/// The seven row functions above, and rlhf_row_lanes_runs(function): how many calls to it on this thread so far
/// ran lanes (returned 1), so that a test can tell the engine called them.
enum {
    RLHF_ROW_LAYER_NORM,
    RLHF_ROW_LAYER_NORM_INPUT_GRADIENT,
    RLHF_ROW_LAYER_NORM_PARAMETER_GRADIENTS,
    RLHF_ROW_SOFTMAX,
    RLHF_ROW_SOFTMAX_BACKWARD,
    RLHF_ROW_LOG_SOFTMAX,
    RLHF_ROW_LOG_SOFTMAX_BACKWARD,
    RLHF_ROW_FUNCTION_COUNT
};
long rlhf_row_lanes_runs(int function);

/// rlhf_pool_run_chunks(body, context, 2): body(context, 0) on the calling thread, body(context, 1) on the
/// pool's persistent worker (or here, when the worker has not taken it by the time part 0 is done).
void rlhf_pool_run_two(void (*body)(void *context, long part), void *context);

/// Calls body(context, chunk) once for every chunk in 0..<chunks and returns when all are done: chunk 0 on
/// the calling thread, every further one on whichever of the caller and the pool's worker claims it first
/// (the thread that finishes first takes more). When the worker is already in use (a nested call, or
/// another thread's), the machine has one processor, or chunks is 1 (or above 65535), runs them all here
/// in order. A chunk's work must be fixed by its index alone; then no result depends on which thread ran it.
void rlhf_pool_run_chunks(void (*body)(void *context, long chunk), void *context, long chunks);

/// Chunks a split job is cut into at most (the products' here, `WorkerPool.defaultChunks` in the engine). In 60
/// alternated `rlhf bench --quick --repetitions 9` rounds on the loaded 2-core machine, median ratios to two
/// fixed halves: PPO iteration 0.94 with 4 chunks, 1.03 with 8.
enum { RLHF_CHUNKS = 4 };

/// The start of chunk `chunk` of `chunks` over `units` units (`units` from chunk `chunks` on): consecutive
/// chunks covering 0..<units, every start but the last chunk's end at a multiple of `step`.
long rlhf_chunk_start(long chunk, long chunks, long units, long step);

/// 1 when the pool's worker thread runs (two processors or more and RLHF_THREADS is not 1), else 0: then
/// rlhf_pool_run_two and rlhf_pool_run_chunks run every part on the calling thread. Starts the worker when it
/// has not started.
int rlhf_pool_worker_runs(void);

/// The runnable threads in a line of Linux's /proc/loadavg (its fourth field, "runnable/all"), or -1 when the
/// line has none: the worker polls longer for the next job while they are no more than the processors.
long rlhf_runnable_threads(const char *loadavg);

/// How many parts (chunks) the worker thread has run since the process started (for tests).
long rlhf_pool_worker_halves(void);

/// 1 when called from within a job that this thread has posted to the worker (even when it later runs every
/// chunk itself), 0 when this thread runs all the parts because the worker was taken or absent, or is
/// not in a job (for tests).
int rlhf_pool_posted_here(void);

// --- The gradient norm's sum of squares ---

/// For each whole block of 32 values from `values` (count / 32 blocks, in order): lanes[8 s + j] +=
/// Double(x)^2 of the block's value 8 s + j (see SquareSums.c), the bits of GradientNorm.laneSum's Swift
/// loop. Returns the number of values taken (a multiple of 32), or 0 (doing nothing) for a kernel without
/// these lanes (portable, neon): the caller then runs its own.
long rlhf_square_sums(int kernel, const float *values, long count, double *lanes);

#ifdef __cplusplus
}
#endif

#endif
