/// Splitting a batch's rows between threads. `run` is for passes in which every row is computed
/// on its own from start to finish (no value summed across rows), `split` for row-wise ops whose
/// only sums across rows are per column (layer norm's parameter gradients), cut by columns.
///
/// The work is cut into chunks (`WorkerPool.runChunks`: the caller and the worker claim them in turn, so
/// the one that finishes first takes more) fixed by the sizes alone (`run`: the row count; `split`: rows
/// and width), and each value is computed in one chunk with the same arithmetic whichever thread runs it,
/// so results never depend on the number of threads or on timing. The matrix products inside a chunk then
/// stay on its thread (the pool is taken).
enum ParallelRows {
    /// Below this many tokens in all, everything stays on the calling thread.
    static let minimumTokens = 96

    /// Calls `body` on consecutive ranges covering 0..<rows (at least one row each, up to
    /// `WorkerPool.defaultChunks` ranges), each range on one thread.
    static func run(rows: Int, tokens: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let chunks = tokens >= minimumTokens ? WorkerPool.chunkCount(units: rows, least: 1) : 1
        if chunks <= 1 {
            body(0..<rows)
            return
        }
        WorkerPool.runChunks(chunks) { chunk in body((rows * chunk / chunks)..<(rows * (chunk + 1) / chunks)) }
    }

    /// Below this many values in all (rows x width), a row-wise op stays on the calling thread:
    /// it takes less time than waking the worker would.
    static let minimumValues = 8192

    /// Rows and values a chunk of `split` has at least (a chunk costs a claim of the shared counter).
    static let leastChunkRows = 8
    static let leastChunkValues = 2048

    /// For an op on `rows` rows of `width` values: calls `body(rows, columns)` once with the whole
    /// of both, or, from `minimumValues` values and 8 rows, once per chunk (up to `WorkerPool.defaultChunks`
    /// of at least `leastChunkRows` rows and `leastChunkValues` values, but always two: 8 to 15 rows make two
    /// of 4 or more; claimed by `WorkerPool`'s two threads)
    /// with consecutive parts of each: rows cut at multiples of 4, where the row loops group rows; columns at
    /// multiples of 8, their lanes (a chunk's column range may be empty). A chunk writes only its rows' values
    /// and its columns' sums over all rows, so every value gets the same arithmetic either way; the cut
    /// depends only on the sizes.
    static func split(rows: Int, width: Int, _ body: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void) {
        guard rows >= leastChunkRows, rows * width >= minimumValues else {
            body(0..<rows, 0..<width)
            return
        }
        let chunks = Swift.max(2, Swift.min(WorkerPool.chunkCount(units: rows, least: leastChunkRows),
                                            WorkerPool.chunkCount(units: rows * width, least: leastChunkValues)))
        func start(_ chunk: Int, _ units: Int, _ step: Int) -> Int {
            WorkerPool.chunkStart(chunk, of: chunks, units: units, step: step)
        }
        WorkerPool.runChunks(chunks) { chunk in
            body(start(chunk, rows, 4)..<start(chunk + 1, rows, 4), start(chunk, width, 8)..<start(chunk + 1, width, 8))
        }
    }
}
