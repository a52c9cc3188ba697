import RLHFKernels

/// `WorkerPool`'s front end for tests (which see only the public API).
public enum WorkerPoolCheck {
    /// Calls `body(0)` on the calling thread and `body(1)` on the pool's worker at once, as the paired
    /// gradient products do, and returns when both are done (both here when the worker is taken or absent).
    public static func runTwo(_ body: (Int) -> Void) { WorkerPool.runTwo(body) }

    /// Calls `body(chunk)` once for each chunk in 0..<count, claimed by both threads as split work is.
    public static func runChunks(_ count: Int, _ body: (Int) -> Void) { WorkerPool.runChunks(count, body) }

    /// The chunk count and the start of a chunk that split work uses (see `WorkerPool.chunkCount`).
    public static func chunkCount(units: Int, least: Int) -> Int { WorkerPool.chunkCount(units: units, least: least) }
    public static func chunkStart(_ chunk: Int, of count: Int, units: Int, step: Int) -> Int {
        WorkerPool.chunkStart(chunk, of: count, units: units, step: step)
    }

    /// Whether the pool's worker thread runs: two processors or more and `RLHF_THREADS` is not 1.
    public static var workerRuns: Bool { rlhf_pool_worker_runs() != 0 }

    /// The runnable threads in a line of /proc/loadavg, or nil when it has none (the worker's busy-machine test).
    public static func runnableThreads(loadavg: String) -> Int? {
        let count = loadavg.withCString { rlhf_runnable_threads($0) }
        return count < 0 ? nil : count
    }

    /// How many parts the worker thread has run since the process started.
    public static var workerParts: Int { rlhf_pool_worker_halves() }

    /// Inside `runTwo`'s or `runChunks`'s body: whether this job was posted to the worker (else both parts run here).
    public static var postedHere: Bool { rlhf_pool_posted_here() != 0 }
}
