import Foundation
import RLHFKernels

/// The matrix tiles the engine runs, chosen once per process by what the processor offers.
///
/// Every kernel gives the bits of the plain loops in `MatrixKernels` (the same sum, in the
/// same order, for every output element, and no fused multiply-add), so the choice changes
/// only the speed: transcripts, traces and checkpoints are the same on every machine.
///   portable  `FastMatrixKernels`' own 6 x 8 tiles of `SIMD8<Float>` (any processor)
///   avx2      8-lane tiles of 4 x 16 (x86-64 with AVX2)
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
/// `runChunks(count, body)` calls `body(chunk)` once for each chunk in 0..<count and returns when all
/// are done: chunk 0 on the calling thread, and each further one on whichever of the caller and the
/// worker claims it first from one shared counter, so the thread that finishes first takes more and a
/// worker that starts late holds nobody up. When the worker is taken (a nested call, or another thread's
/// job), absent (RLHF_THREADS=1, one processor), or `count` is 1 or above 65535, it calls them all here in order.
/// Callers fix each chunk's work by its index alone (from the sizes, never from the thread) and give the
/// chunks disjoint outputs, each computed with the same arithmetic wherever it runs: so every output value
/// has the same bits whichever thread ran its chunk, however the chunks fell, and with one thread or two.
/// `runTwo` is `runChunks(2, ...)`: part 0 on the caller, part 1 on the worker unless the caller gets to
/// it first.
enum WorkerPool {
    static func runTwo(_ body: (Int) -> Void) { runChunks(2, body) }

    static func runChunks(_ count: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var job = body
            withUnsafeMutablePointer(to: &job) { pointer in
                rlhf_pool_run_chunks({ context, chunk in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(chunk)
                }, pointer, count)
            }
        }
    }

    /// How many chunks a job of `units` units (rows, values, pairs) is cut into: `most` chunks of at least
    /// `least` units each where there are that many (fewer, never below 1, when not). A function of the sizes
    /// alone.
    static func chunkCount(units: Int, least: Int, most: Int = defaultChunks) -> Int {
        Swift.max(1, Swift.min(most, units / Swift.max(least, 1)))
    }

    /// Chunks per split job: enough that the thread that finishes first can take a share of the other's,
    /// few enough that claiming one (a shared counter's cache line moving between the cores) stays far below
    /// its work. One setting with RLHFKernels' products (RLHF_CHUNKS, where the measurement stands).
    static let defaultChunks = Int(RLHF_CHUNKS)

    /// The start of chunk `chunk` of `count` over `units` units, cut at multiples of `step`: the chunks are
    /// consecutive, cover 0..<units, and all but the last start and end at a multiple of `step`.
    static func chunkStart(_ chunk: Int, of count: Int, units: Int, step: Int) -> Int {
        rlhf_chunk_start(chunk, count, units, step)  // the one definition, shared with the products' chunks
    }
}
