/// Splitting a batch's rows between threads, for passes in which every row is computed
/// on its own from start to finish (no value is ever summed across rows).
///
/// The split depends only on the row count, and each row's result is computed by one
/// thread with the same arithmetic whichever thread it is, so results never depend on
/// the number of threads. The two parts run on `WorkerPool`'s two threads; the matrix
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
}
