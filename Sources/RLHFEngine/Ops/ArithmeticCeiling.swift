import Foundation
import RLHFKernels

/// The arithmetic ceiling under the engine's contract: multiply-adds per second when every term is
/// one rounded multiply and then one rounded add (no fused multiply-add), measured on this processor
/// by RLHFKernels' `rlhf_peak` (independent chains acc = acc + v * c in registers, in the lanes of
/// every vector kernel it has, the fastest taken: a chip may clock narrower lanes higher), on one thread and on two
/// at once through the worker pool.
///
/// Every matrix product does at least this work per multiply-add, so a computation of F floating-point
/// operations (a multiply-add counting as two) cannot take less than
///   bound = F / (2 x ceiling)
/// seconds on that many threads. Rates are the best of `repetitions` runs, each in the processor time of
/// the thread that ran longest, so time the thread spent descheduled on a busy machine does not lower
/// them (the ceiling stays an upper bound on speed, its time a lower bound on time).
public struct ArithmeticCeiling: Sendable, Equatable {
    /// The kernel whose lanes ran fastest on two threads, or nil when none has a peak loop.
    public let kernel: MatrixKernel?
    /// The kernel whose lanes ran fastest on one thread (nil: `kernel`).
    public let oneThreadKernel: MatrixKernel?
    /// Multiply-adds per second on one thread, and on two (the caller and the pool's worker at once): the
    /// fastest of every kernel with a peak loop.
    public let oneThread: Double, twoThreads: Double
    /// Whether the pool's worker ran (else "two threads" is both parts in turn on the caller).
    public let workerRuns: Bool

    public init(kernel: MatrixKernel?, oneThreadKernel: MatrixKernel? = nil, oneThread: Double, twoThreads: Double,
                workerRuns: Bool) {
        (self.kernel, self.oneThread, self.twoThreads, self.workerRuns) = (kernel, oneThread, twoThreads, workerRuns)
        self.oneThreadKernel = oneThreadKernel == kernel ? nil : oneThreadKernel
    }

    /// The kernels with a peak loop that this processor can run (AVX2 and AVX-512, or NEON), in MatrixKernel order.
    public static var peakKernels: [MatrixKernel] {
        MatrixKernel.available.filter { $0 != .portable && rlhf_peak($0.rawValue, 1, 0, nil, nil) > 0 }
    }

    /// GFLOP/s of the two-thread rate (two floating-point operations per multiply-add).
    public var twoThreadGflops: Double { 2 * twoThreads / 1e9 }

    /// bound = F / (2 x two-thread rate): the least time, in seconds, `flop` operations can take; nil
    /// without a measured rate.
    public func boundSeconds(flop: Double) -> Double? {
        twoThreads > 0 ? flop / (2 * twoThreads) : nil
    }

    /// Measures the ceiling: `steps` steps per run (each some 200 multiply-adds with AVX-512), best of
    /// `repetitions`, in every kernel of `peakKernels`; the fastest kernel on one thread and on two.
    public static func measure(steps: Int = 4_000_000, repetitions: Int = 5) -> ArithmeticCeiling {
        let kernels = peakKernels
        guard !kernels.isEmpty else {
            return ArithmeticCeiling(kernel: nil, oneThread: 0, twoThreads: 0, workerRuns: false)
        }
        func rate(_ kernel: MatrixKernel, split: Int32) -> Double {
            var best = 0.0
            for _ in 0..<max(repetitions, 1) {
                var seconds = 0.0
                let multiplyAdds = rlhf_peak(kernel.rawValue, steps, split, &seconds, nil)
                if seconds > 0 { best = max(best, Double(multiplyAdds) / seconds) }
            }
            return best
        }
        let workerRuns = rlhf_pool_worker_runs() != 0
        let rates = kernels.map { (kernel: $0, one: rate($0, split: 0), two: rate($0, split: 1)) }
        // Ties go to the later (wider) kernel.
        let one = rates.reduce(rates[0]) { $1.one >= $0.one ? $1 : $0 }
        let two = rates.reduce(rates[0]) { $1.two >= $0.two ? $1 : $0 }
        return ArithmeticCeiling(kernel: two.kernel, oneThreadKernel: one.kernel, oneThread: one.one,
                                 twoThreads: two.two, workerRuns: workerRuns)
    }

    /// "avx512: 44.7 G multiply-adds/s on one thread (89.4 GFLOP/s), 85.8 on two (171.6 GFLOP/s)"; when another
    /// kernel was fastest on one thread, "avx2: 46.0 G multiply-adds/s on one thread (92.0 GFLOP/s), avx512: 85.8 on
    /// two (171.6 GFLOP/s)".
    public var note: String {
        guard let kernel else { return "no peak loop for this processor's kernels" }
        func fixed(_ value: Double) -> String { String(format: "%.1f", value) }
        return "\(oneThreadKernel ?? kernel): \(fixed(oneThread / 1e9)) G multiply-adds/s on one thread"
            + " (\(fixed(2 * oneThread / 1e9)) GFLOP/s), \(oneThreadKernel == nil ? "" : "\(kernel): ")"
            + "\(fixed(twoThreads / 1e9)) on two (\(fixed(twoThreadGflops)) GFLOP/s)"
            + (workerRuns ? "" : "; the pool's worker does not run, so two is one in turn")
    }
}
