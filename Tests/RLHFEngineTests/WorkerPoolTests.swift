import Foundation
import RLHFEngine
import Testing

/// The two-thread pool: every part of every job runs exactly once, whichever thread takes it, in long runs
/// of jobs, empty jobs, nested jobs and jobs posted from several threads at once; RLHF_THREADS=1 keeps them
/// on the caller.
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
            usleep(2000)  // far past the worker's 20 µs of polling: it sleeps
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
}
