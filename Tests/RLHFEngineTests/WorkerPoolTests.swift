import Foundation
import RLHFEngine
import Testing

/// The two-thread pool: every part of every job runs exactly once, whichever thread takes it, in long runs
/// of jobs, empty jobs, nested jobs and jobs posted from several threads at once; RLHF_THREADS=1 keeps them
/// on the caller.
@Suite("The worker pool runs each part of each job once")
struct WorkerPoolTests {
    /// Counts of each part's runs, written only by the thread running that part.
    final class Runs: @unchecked Sendable {
        var counts: [Int]
        init(_ jobs: Int) { counts = [Int](repeating: 0, count: 2 * jobs) }
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
        #expect(runs.counts == [1, 1, 1, 1])
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
