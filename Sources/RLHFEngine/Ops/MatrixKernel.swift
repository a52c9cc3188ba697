import Foundation
import RLHFKernels

/// The matrix tiles the engine runs, chosen once per process by what the processor offers.
///
/// Every kernel gives the bits of the plain loops in `MatrixKernels` (the same sum, in the
/// same order, for every output element, and no fused multiply-add), so the choice changes
/// only the speed: transcripts, traces and checkpoints are the same on every machine.
///   portable  `FastMatrixKernels`' own 6 x 8 tiles of `SIMD8<Float>` (any processor)
///   avx2      8-lane tiles of 6 x 16 (x86-64 with AVX2)
///   avx512    16-lane tiles of 8 x 32 (x86-64 with AVX-512F)
///   neon      4-lane tiles of 8 x 8 (arm64)
/// The environment variable RLHF_KERNELS (one of the names above) forces one, for example
/// `RLHF_KERNELS=portable`; a name this machine cannot run falls back to portable, and
/// `selectionNote` says so.
public enum MatrixKernel: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case portable = 0, avx2 = 1, avx512 = 2, neon = 3

    /// Whether this processor can run the kernel.
    public var isAvailable: Bool { rlhf_kernel_available(rawValue) != 0 }

    /// Every kernel this processor can run, portable first.
    public static var available: [MatrixKernel] { allCases.filter(\.isAvailable) }

    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .avx512: "avx512"
        case .neon: "neon"
        }
    }

    private static let choice: (kernel: MatrixKernel, forcedUnavailable: Bool) = {
        var forcedUnavailable: Int32 = 0
        let kernel = MatrixKernel(rawValue: rlhf_kernel_choose(&forcedUnavailable)) ?? .portable
        return (kernel, forcedUnavailable != 0)
    }()

    /// The kernel every matrix product of this process uses.
    public static var selected: MatrixKernel { choice.kernel }

    /// "avx512", or "portable (RLHF_KERNELS=NAME is not available here)".
    public static var selectionNote: String {
        guard choice.forcedUnavailable else { return selected.description }
        let name = ProcessInfo.processInfo.environment["RLHF_KERNELS"] ?? ""
        return "portable (RLHF_KERNELS=\(name) is not available here)"
    }
}

/// Two threads for one job: the caller and one persistent worker (RLHFKernels' pool).
///
/// `runTwo` calls `body(0)` on the calling thread and `body(1)` on the worker at the same
/// time, and returns when both are done; when the worker is taken (a nested call, or
/// another thread's job) or the machine has one processor, it calls both here in turn.
/// Callers give the two parts disjoint outputs, so the results never depend on which.
enum WorkerPool {
    static func runTwo(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var job = body
            withUnsafeMutablePointer(to: &job) { pointer in
                rlhf_pool_run_two({ context, part in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part)
                }, pointer)
            }
        }
    }
}
