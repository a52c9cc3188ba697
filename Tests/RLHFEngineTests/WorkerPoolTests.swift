import Foundation
import RLHFEngine
import Testing

/// The two-thread pool: every part (chunk) of every job runs exactly once, whichever thread claims it, in
/// long runs of jobs, empty jobs, jobs of 1 to 40 chunks, nested jobs and jobs posted from several threads
/// at once; a nested job runs its chunks in order on its thread; chunked sums have the bits of the plain
/// loop; RLHF_THREADS=1 keeps them on the caller; the worker's busy-machine test reads /proc/loadavg's line.
@Suite("The worker pool runs each part of each job once")
struct WorkerPoolTests {
    /// Counts of each part's runs, written only by the thread running that part: a buffer, not an Array,
    /// whose distinct elements two threads may write at once.
    final class Runs: @unchecked Sendable {
        let counts: UnsafeMutableBufferPointer<Int>
        init(_ jobs: Int) { counts = .allocate(capacity: 2 * jobs); counts.initialize(repeating: 0) }
        deinit { counts.deallocate() }
    }

    @Test("20000 jobs in a row, from empty to a few microseconds of work")
    func manyJobsInARow() {
        let jobs = 20000
        let runs = Runs(jobs)
        var sums = [Double](repeating: 0, count: 2 * jobs)
        sums.withUnsafeMutableBufferPointer { sums in
            for job in 0..<jobs {
                // Jobs of zero size (nothing to do), one term, and up to 2000 terms per part.
                let terms = [0, 1, 7, 2000][job % 4]
                WorkerPoolCheck.runTwo { part in
                    runs.counts[2 * job + part] += 1
                    var total = 0.0
                    for term in 0..<terms { total += Double(term * (part + 1)) }
                    sums[2 * job + part] = total
                }
            }
        }
        #expect(runs.counts.allSatisfy { $0 == 1 })
        for job in 0..<jobs {
            let terms = Double([0, 1, 7, 2000][job % 4])
            #expect(sums[2 * job] == terms * (terms - 1) / 2)
            #expect(sums[2 * job + 1] == terms * (terms - 1))
        }
    }

    @Test("a worker asleep between jobs wakes for the next one and runs its part")
    func wakesFromSleep() {
        guard WorkerPoolCheck.workerRuns else { return }
        let caller = pthread_self()
        var woken = 0
        var posted = 0
        // A try counts only when its job went to the worker: other suites' products may hold the worker at
        // the moment, and then both parts run here. Up to five posted tries, for at most 60 s.
        let giveUp = Date(timeIntervalSinceNow: 60)
        while posted < 5 && Date() < giveUp {
            usleep(2000)  // far past the worker's 20 or 100 µs of polling: it sleeps
            let signal = NSCondition()
            var partOneDone = false
            var partOneElsewhere = false
            var postedToWorker = false
            WorkerPoolCheck.runTwo { part in
                signal.lock()
                if part == 1 {
                    partOneDone = true
                    partOneElsewhere = pthread_equal(pthread_self(), caller) == 0
                    signal.signal()
                } else if WorkerPoolCheck.postedHere {
                    // While the caller waits here, part 1 can only run on the worker, once it woke.
                    postedToWorker = true
                    let deadline = Date(timeIntervalSinceNow: 2)
                    while !partOneDone && signal.wait(until: deadline) {}
                }
                signal.unlock()
            }
            if postedToWorker {
                posted += 1
                if partOneElsewhere { woken += 1 }
            }
        }
        // Under many busy suites a free worker can be rare: one posted job is enough to see it wake.
        #expect(posted >= 1, "no job went to the worker in 60 s")
        #expect(woken == posted, "the worker ran \(woken) of the \(posted) parts posted to it while it slept")
    }

    @Test("a job posted inside a job runs both its parts on the calling thread")
    func nestedJobs() {
        let runs = Runs(2)
        WorkerPoolCheck.runTwo { outer in
            runs.counts[outer] += 1
            let thread = pthread_self()
            var ranHere = [false, false]
            WorkerPoolCheck.runTwo { inner in ranHere[inner] = pthread_equal(pthread_self(), thread) != 0 }
            // The outer job holds the worker until both its parts are done.
            if ranHere == [true, true] { runs.counts[2 + outer] += 1 }
        }
        #expect(Array(runs.counts) == [1, 1, 1, 1])
    }

    @Test("jobs posted from four threads at once each run their parts once")
    func concurrentCallers() async {
        let jobs = 2000
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let runs = Runs(jobs)
                    for job in 0..<jobs { WorkerPoolCheck.runTwo { part in runs.counts[2 * job + part] += 1 } }
                    return runs.counts.allSatisfy { $0 == 1 }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [true, true, true, true])
    }

    @Test("RLHF_THREADS=1 (or one processor) keeps every part on the calling thread")
    func oneThread() {
        let oneThread = ProcessInfo.processInfo.environment["RLHF_THREADS"] == "1"
            || sysconf(Int32(_SC_NPROCESSORS_ONLN)) < 2
        #expect(WorkerPoolCheck.workerRuns == !oneThread)
        guard oneThread else { return }
        let caller = pthread_self()
        var elsewhere = 0
        for _ in 0..<1000 {
            WorkerPoolCheck.runTwo { _ in if pthread_equal(pthread_self(), caller) == 0 { elsewhere += 1 } }
        }
        #expect(elsewhere == 0)
        #expect(WorkerPoolCheck.workerParts == 0)
    }

    @Test("jobs of 1 to 40 chunks, 300 each: every chunk runs once, on either thread")
    func everyChunkOnce() {
        var elsewhere = 0
        let caller = pthread_self()
        for chunks in 1...40 {
            for job in 0..<300 {
                let runs = Runs(chunks)
                let away = Runs(chunks)
                let terms = [0, 3, 500][job % 3]
                WorkerPoolCheck.runChunks(chunks) { chunk in
                    runs.counts[chunk] += 1
                    if pthread_equal(pthread_self(), caller) == 0 { away.counts[chunk] = 1 }
                    var total = 0.0
                    for term in 0..<terms { total += Double(term) }
                    away.counts[chunks + chunk] = Int(total)
                }
                #expect(Array(runs.counts[0..<chunks]) == [Int](repeating: 1, count: chunks),
                        "\(chunks) chunks, job \(job)")
                #expect(away.counts[chunks..<(2 * chunks)].allSatisfy { $0 == terms * (terms - 1) / 2 })
                elsewhere += away.counts[0..<chunks].reduce(0, +)
                if chunks == 1 { #expect(away.counts[0] == 0, "a job of one chunk runs on the caller") }
            }
        }
        // Which thread ran a chunk is timing; only that the worker can take some is asserted, when it runs
        // and was free at least once (other suites' products may hold it throughout).
        if !WorkerPoolCheck.workerRuns { #expect(elsewhere == 0) }
    }

    @Test("the worker runs several chunks of one job, and the caller waits for the chunk the worker holds")
    func workerTakesSeveralChunks() {
        guard WorkerPoolCheck.workerRuns else { return }
        let caller = pthread_self()
        var posted = 0
        // As in wakesFromSleep: a try counts only when the job went to the worker (other suites may hold it).
        let giveUp = Date(timeIntervalSinceNow: 60)
        while posted < 3 && Date() < giveUp {
            let signal = NSCondition()
            var elsewhere = [false, false, false, false]
            var lastStarted = false
            var postedToWorker = false
            let written = Runs(4)
            WorkerPoolCheck.runChunks(4) { chunk in
                if chunk == 0 {
                    guard WorkerPoolCheck.postedHere else { return }
                    // While the caller waits here, chunks 1 to 3 can only go to the worker, one after another;
                    // it leaves chunk 0 once the worker has started chunk 3.
                    postedToWorker = true
                    signal.lock()
                    let deadline = Date(timeIntervalSinceNow: 2)
                    while !lastStarted && signal.wait(until: deadline) {}
                    signal.unlock()
                    return
                }
                signal.lock()
                elsewhere[chunk] = pthread_equal(pthread_self(), caller) == 0
                if chunk == 3 {
                    lastStarted = true
                    signal.signal()
                }
                signal.unlock()
                if chunk == 3 { usleep(5000) }  // the caller, done with its own chunks, must wait for this write
                written.counts[chunk] = 1
            }
            guard postedToWorker else { continue }
            posted += 1
            #expect(elsewhere == [false, true, true, true], "the worker ran chunks \(elsewhere)")
            #expect(Array(written.counts[1..<4]) == [1, 1, 1], "runChunks returned before the worker's chunk ended")
        }
        #expect(posted >= 1, "no job went to the worker in 60 s")
    }

    @Test("a chunked job posted inside a chunk runs all its chunks on that thread, in order")
    func nestedChunksInOrder() {
        let outerChunks = 6
        var checked = 0
        // A try counts when the outer job went to the worker (or there is no worker): only then does it hold
        // the pool through every chunk. An outer job that ran here because another suite's job held the worker
        // may find the worker free again in a later chunk, and that chunk's nested job then goes to it.
        let giveUp = Date(timeIntervalSinceNow: 60)
        while checked == 0 && Date() < giveUp {
            let runs = Runs(outerChunks)
            var heldPool = !WorkerPoolCheck.workerRuns
            WorkerPoolCheck.runChunks(outerChunks) { outer in
                if outer == 0 && WorkerPoolCheck.postedHere { heldPool = true }
                let thread = pthread_self()
                var order: [Int] = []
                var here = true
                // Under a lock: in a try that does not count, the nested job may go to the worker, and both
                // threads would then append at once.
                let lock = NSLock()
                WorkerPoolCheck.runChunks(9) { inner in
                    lock.lock()
                    order.append(inner)
                    here = here && pthread_equal(pthread_self(), thread) != 0
                    lock.unlock()
                }
                if order == Array(0..<9) && here { runs.counts[outer] += 1 }
            }
            guard heldPool else { continue }
            checked += 1
            #expect(Array(runs.counts[0..<outerChunks]) == [Int](repeating: 1, count: outerChunks))
        }
        #expect(checked == 1, "no outer job held the worker in 60 s")
    }

    @Test("sums cut into chunks by size alone have the bits of the plain loop, whichever thread ran a chunk")
    func chunkedSumsKeepBits() {
        var random = SystemRandomNumberGenerator()
        for (rows, width) in [(8, 1024), (37, 300), (512, 48), (1000, 17)] {
            let values = (0..<(rows * width)).map { _ in Float.random(in: -3...3, using: &random) }
            // Each row: a left-to-right Float sum of x * x + x, an order-dependent rounding at every step.
            func rowSum(_ row: Int) -> Float {
                var total: Float = 0
                for column in 0..<width {
                    let x = values[row * width + column]
                    total = total + (x * x + x)
                }
                return total
            }
            let plain = (0..<rows).map(rowSum)
            for _ in 0..<50 {
                let chunks = WorkerPoolCheck.chunkCount(units: rows, least: 4)
                let sums = Runs(rows)
                WorkerPoolCheck.runChunks(chunks) { chunk in
                    let first = WorkerPoolCheck.chunkStart(chunk, of: chunks, units: rows, step: 4)
                    let end = WorkerPoolCheck.chunkStart(chunk + 1, of: chunks, units: rows, step: 4)
                    for row in first..<end { sums.counts[row] = Int(rowSum(row).bitPattern) }
                }
                #expect((0..<rows).allSatisfy { sums.counts[$0] == Int(plain[$0].bitPattern) }, "\(rows) x \(width)")
            }
        }
    }

    @Test("chunk starts: consecutive, covering the units, at multiples of the step, a count fixed by the sizes")
    func chunkBoundaries() {
        for units in [0, 1, 7, 8, 50, 64, 511, 512, 4096] {
            for step in [1, 4, 8, 16] {
                for least in [1, 4, 64] {
                    let chunks = WorkerPoolCheck.chunkCount(units: units, least: least)
                    #expect(chunks >= 1 && chunks <= 4 && (chunks == 1 || units / chunks >= least))
                    let starts = (0...chunks).map {
                        WorkerPoolCheck.chunkStart($0, of: chunks, units: units, step: step)
                    }
                    #expect(starts.first == 0 && starts.last == units)
                    #expect(zip(starts, starts.dropFirst()).allSatisfy { $0 <= $1 })
                    #expect(starts.dropLast().allSatisfy { $0 % step == 0 })
                }
            }
        }
    }

    @Test("the busy-machine test reads the runnable threads from a /proc/loadavg line, and nothing from others")
    func runnableThreadsOfLoadavg() {
        #expect(WorkerPoolCheck.runnableThreads(loadavg: "0.52 0.58 0.59 3/197 12345\n") == 3)
        #expect(WorkerPoolCheck.runnableThreads(loadavg: "12.00 9.31 4.07 17/1024 4242") == 17)
        #expect(WorkerPoolCheck.runnableThreads(loadavg: "0.00 0.00 0.00 1/78 5919") == 1)
        #expect(WorkerPoolCheck.runnableThreads(loadavg: "") == nil)
        #expect(WorkerPoolCheck.runnableThreads(loadavg: "0.52 0.58 0.59") == nil)
        #expect(WorkerPoolCheck.runnableThreads(loadavg: "0.52 0.58 0.59 /197 1") == nil)
        #if os(Linux)
        // The machine's own line has the field (some sandboxes print a fixed 0/0, which still parses).
        let line = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)
        #expect(line.flatMap { WorkerPoolCheck.runnableThreads(loadavg: $0) } != nil, "\(line ?? "no /proc/loadavg")")
        #endif
    }
}
