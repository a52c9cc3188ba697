import RLHFKernels

/// Array front ends of the matrix kernels, so that tests (which see only the public API)
/// can check every kernel, on one thread and split between two, against the plain loops.
public enum MatrixKernelCheck {
    public enum Kernel: Sendable, Equatable {
        /// `MatrixKernels`, the plain loops.
        case reference
        /// What the engine runs: the selected kernel, split between threads above the threshold.
        case fast
        /// One kernel on the calling thread.
        case single(MatrixKernel)
        /// One kernel with every product split between the two threads, whatever its size.
        case split(MatrixKernel)
    }

    /// C (m x n) = A (m x k) * B (k x n); with `initial`, C = initial + A * B term by term.
    public static func multiply(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int,
                                initial: [Float]? = nil, kernel: Kernel) -> [Float] {
        precondition(a.count == m * k && b.count == k * n && (initial?.count ?? m * n) == m * n)
        let product: Product = initial == nil ? .plain : .accumulating
        return run(product, a, b, initial ?? [Float](repeating: 0, count: m * n), m: m, k: k, n: n, kernel: kernel)
    }

    /// C (m x k) = initial + A (m x n) * B^T, B stored (k x n).
    public static func multiplyTransposedRight(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                                               initial: [Float], kernel: Kernel) -> [Float] {
        precondition(a.count == m * n && b.count == k * n && initial.count == m * k)
        return run(.transposedRight, a, b, initial, m: m, k: k, n: n, kernel: kernel)
    }

    /// C (k x n) = initial + A^T * B, A stored (m x k), B stored (m x n).
    public static func multiplyTransposedLeft(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int,
                                              initial: [Float], kernel: Kernel) -> [Float] {
        precondition(a.count == m * k && b.count == m * n && initial.count == k * n)
        return run(.transposedLeft, a, b, initial, m: m, k: k, n: n, kernel: kernel)
    }

    private enum Product { case plain, accumulating, transposedRight, transposedLeft }

    /// One product on the buffers of a, b and a copy of c, by `kernel`; returns the copy.
    private static func run(_ product: Product, _ a: [Float], _ b: [Float], _ c: [Float], m: Int, k: Int, n: Int,
                            kernel: Kernel) -> [Float] {
        let (chosen, minimum) = settings(kernel)
        let reference = kernel == .reference
        return run(a, b, c) { a, b, c in
            switch product {
            case .plain where reference, .accumulating where reference:
                MatrixKernels.multiply(a, b, c, m: m, k: k, n: n, accumulate: product == .accumulating)
            case .plain, .accumulating:
                FastMatrixKernels.multiply(a, b, c, m: m, k: k, n: n, accumulate: product == .accumulating,
                                           kernel: chosen, minimumSplitWork: minimum)
            case .transposedRight where reference: MatrixKernels.multiplyTransposedRight(a, b, c, m: m, n: n, k: k)
            case .transposedRight:
                FastMatrixKernels.multiplyTransposedRight(a, b, c, m: m, n: n, k: k, kernel: chosen,
                                                          minimumSplitWork: minimum)
            case .transposedLeft where reference: MatrixKernels.multiplyTransposedLeft(a, b, c, m: m, k: k, n: n)
            case .transposedLeft:
                FastMatrixKernels.multiplyTransposedLeft(a, b, c, m: m, k: k, n: n, kernel: chosen,
                                                         minimumSplitWork: minimum)
            }
        }
    }

    /// The kernel and the split threshold a non-reference `Kernel` stands for.
    static func settings(_ kernel: Kernel) -> (MatrixKernel, Int) {
        switch kernel {
        case .reference, .fast: (.selected, FastMatrixKernels.splitThreshold)
        case .single(let chosen): (chosen, .max)
        case .split(let chosen): (chosen, 0)
        }
    }

    /// `body` on the buffers of a, b and a copy of c; returns the copy.
    private static func run(
        _ a: [Float], _ b: [Float], _ c: [Float],
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> [Float] {
        var c = c
        // Empty arrays may have no buffer: a one-element stand-in is never read.
        let (a, b) = (a.isEmpty ? [0] : a, b.isEmpty ? [0] : b)
        if c.isEmpty { return c }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in body(a.baseAddress!, b.baseAddress!, c.baseAddress!) }
            }
        }
        return c
    }

    /// GELU's tanh form and its gradient g * gelu'(x) by `kernel`'s own lanes (AVX2, AVX-512), with the
    /// tanh the forward saved fed to the backward; nil for a kernel without GELU lanes.
    public static func geluLanes(_ x: [Float], upstream: [Float], kernel: MatrixKernel)
        -> (y: [Float], dx: [Float])? {
        precondition(x.count == upstream.count)
        var (y, dx, saved) = ([Float](repeating: 0, count: x.count), [Float](repeating: 0, count: x.count),
                              [Float](repeating: 0, count: x.count))
        let constants = FastPortableMath.geluConstants
        guard rlhf_gelu(kernel.rawValue, x, &y, x.count, &saved, constants) != 0,
              rlhf_gelu_backward(kernel.rawValue, x, upstream, &dx, x.count, saved, constants) != 0 else { return nil }
        return (y, dx)
    }

    /// Whether `kernel` has RLHFKernels' row lanes (layer norm, softmax, log-softmax), so that a test can tell
    /// them from the Swift loops they stand in for: runs `rlhf_softmax` on four rows of two values.
    public static func hasRowLanes(_ kernel: MatrixKernel) -> Bool {
        var y = [Float](repeating: 0, count: 8)
        return rlhf_softmax(kernel.rawValue, [1, 2, 3, 4, 5, 6, 7, 8], &y, 4, 2) != 0
    }

    /// The row functions of RLHFKernels with lanes (RowLanes.c), in the order of its RLHF_ROW_ enum.
    public enum RowLaneFunction: Int, CaseIterable, Sendable {
        case layerNorm, layerNormInputGradient, layerNormParameterGradients
        case softmax, softmaxBackward, logSoftmax, logSoftmaxBackward
    }

    /// How many calls on this thread to each row function of RLHFKernels ran its lanes.
    public static func rowLaneRuns() -> [RowLaneFunction: Int] {
        precondition(RowLaneFunction.allCases.count == Int(RLHF_ROW_FUNCTION_COUNT))
        return Dictionary(uniqueKeysWithValues: RowLaneFunction.allCases.map {
            ($0, Int(rlhf_row_lanes_runs(Int32($0.rawValue))))
        })
    }

    /// Layer norm's forward as inference runs it (`Tensor.layerNormRows` with no x-hat or 1 / sigma kept) of
    /// `rows` rows of gamma.count values, by `kernel`.
    public static func layerNormRows(_ x: [Float], gamma: [Float], beta: [Float], epsilon: Float,
                                     kernel: MatrixKernel) -> [Float] {
        let width = gamma.count
        precondition(width > 0 && beta.count == width && x.count % width == 0)
        var y = [Float](repeating: 0, count: x.count)
        if x.isEmpty { return y }
        Tensor.layerNormRows(x, rows: x.count / width, width: width, epsilon: epsilon, gamma: gamma, beta: beta,
                             output: &y, normalised: nil, inverseDeviations: nil, kernel: kernel)
        return y
    }
}
