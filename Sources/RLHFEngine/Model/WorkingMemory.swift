#if os(Linux) && canImport(Glibc)
import Glibc
#endif

/// Keeps the engine's short-lived arrays in the process heap instead of handing them
/// back to the kernel after every step.
///
/// A training step allocates and frees a few megabytes of activations and gradients
/// (arrays of 100 KB to a few MB). With glibc's defaults, arrays that size are mapped
/// fresh and unmapped again, or the heap top is trimmed after the step, so the next step
/// faults every page back in: about a third of the time of a 16 x 24 forward + backward
/// pass. Raising glibc's mmap and trim thresholds once (`mallopt`, looked up at run time
/// because Swift's Glibc module does not export malloc.h) keeps that memory for reuse;
/// peak memory grows by about one step's working set. This changes where memory comes
/// from, never a computed value. Elsewhere (macOS, other C libraries) nothing is done.
enum WorkingMemory {
    /// Applied once per process, when the first model is made. True when it took effect.
    static let configured: Bool = {
        #if os(Linux) && canImport(Glibc)
        typealias MallocOption = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: MallocOption.self)
        let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD in glibc's malloc.h
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        let mapped = mallopt(mmapThreshold, 32 << 20)
        let trimmed = mallopt(trimThreshold, 64 << 20)
        return mapped == 1 && trimmed == 1
        #else
        return false
        #endif
    }()
}
