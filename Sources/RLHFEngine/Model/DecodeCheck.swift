import RLHFKernels

/// Front ends of generation's fast paths for tests (which see only the public API): the one-row
/// product of each kernel, a decoder that splits every one-row product, and the sampler's buffer path.
public enum DecodeCheck {
    /// c (1 x columns) = a (1 x depth) B (depth x columns) by `rlhf_row_product` in `kernel`'s lanes, on
    /// one thread or split between the two; nil where the kernel cannot run it (portable, unavailable,
    /// columns not a multiple of 32).
    public static func rowProduct(_ a: [Float], _ b: [Float], depth: Int, columns: Int, kernel: MatrixKernel,
                                  split: Bool) -> [Float]? {
        precondition(a.count == depth && b.count == depth * columns)
        guard kernel != .portable && kernel.isAvailable && columns % 32 == 0 else { return nil }
        var c = [Float](repeating: .nan, count: columns)
        let done = c.withUnsafeMutableBufferPointer { target in
            rlhf_row_product(kernel.rawValue, a, b, columns, target.baseAddress!, columns, depth, split ? 1 : 0)
        }
        return done != 0 ? c : nil
    }

    /// A decoder of `model` whose one-row products (of at least `IncrementalDecoder.splitProductWeights`
    /// weights) all run split across the two threads, whatever the model's size.
    public static func splittingDecoder(_ model: GPT2) -> IncrementalDecoder {
        IncrementalDecoder(model: model, splitWeightBytes: 0)
    }

    /// Whether a decoder of `model` splits its one-row products by default.
    public static func splitsByDefault(_ model: GPT2) -> Bool {
        IncrementalDecoder(model: model).splitsRows
    }

    /// `sampler.sample(logits:scratch:random:)`, the path `Generator` takes, on a copy of `logits`.
    public static func sampleFromBuffer(_ sampler: Sampler, logits: [Float], random: inout RandomGenerator) -> Int {
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(logits.count, 1))
        defer { scratch.deallocate() }
        return logits.withUnsafeBufferPointer { sampler.sample(logits: $0, scratch: scratch, random: &random) }
    }
}
