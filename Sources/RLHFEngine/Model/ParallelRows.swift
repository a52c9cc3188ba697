/// Splitting a batch's rows between threads. `run` is for passes in which every row is computed
/// on its own from start to finish (no value summed across rows), `split` for row-wise ops whose
/// only sums across rows are per column (layer norm's parameter gradients), cut by columns.
///
/// The split depends only on the sizes (`run`: the row count; `split`: rows and width), and each
/// value is computed by one thread with the same arithmetic whichever thread it is, so results never
/// depend on the number of threads. The two parts run on `WorkerPool`'s two threads; the matrix
/// products inside them then stay on their thread (the pool is taken).
enum ParallelRows {
    static let threads = 2
    /// Below this many tokens in all, everything stays on the calling thread.
    static let minimumTokens = 96

    /// Calls `body` on consecutive ranges covering 0..<rows, each range on one thread.
    static func run(rows: Int, tokens: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let parts = tokens >= minimumTokens ? Swift.min(threads, rows) : 1
        if parts <= 1 {
            body(0..<rows)
            return
        }
        WorkerPool.runTwo { part in body((rows * part / parts)..<(rows * (part + 1) / parts)) }
    }

    /// Below this many values in all (rows x width), a row-wise op stays on the calling thread:
    /// it takes less time than waking the worker would.
    static let minimumValues = 8192

    /// For an op on `rows` rows of `width` values: calls `body(rows, columns)` once with the whole
    /// of both, or, from `minimumValues` values and 8 rows, twice (at once on `WorkerPool`'s two
    /// threads when the worker is free) with consecutive parts of each, near halves (rows cut at
    /// rows / 8 * 4, a multiple of 4, where the row loops group rows; columns at width / 16 * 8, their
    /// lanes). A part writes only its rows' values and
    /// its columns' sums over all rows, so every value gets the same arithmetic either way; the cut
    /// depends only on the sizes.
    static func split(rows: Int, width: Int, _ body: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void) {
        guard rows >= 8, rows * width >= minimumValues else {
            body(0..<rows, 0..<width)
            return
        }
        let (rowCut, columnCut) = (rows / 8 * 4, width / 16 * 8)
        WorkerPool.runTwo { part in
            part == 0 ? body(0..<rowCut, 0..<columnCut) : body(rowCut..<rows, columnCut..<width)
        }
    }
}
