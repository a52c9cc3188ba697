import RLHFKernels

/// Softmax, log-softmax and the causal mask, all over the last dimension.
///
/// Sums run over the columns in order; exp goes through `FastPortableMath` (eight columns
/// at a time), which gives the same bits as `PortableMath`. `kernel` picks the lanes (RLHFKernels'
/// AVX2 or AVX-512 rows where it has them, one row per lane for the sums, else the Swift loops here);
/// every kernel gives the same bits.
extension Tensor {
    /// softmax(x)_i = e^{x_i - m} / sum_j e^{x_j - m}, m = max_j x_j (for stability).
    /// Backward: dx = y * (g - sum_j g_j y_j).
    public func softmax(kernel: MatrixKernel = .selected) -> Tensor {
        rowwise(kernel: kernel, lanes: (rlhf_softmax, rlhf_softmax_backward),
                { Tensor.softmaxRow($0, $1, width: $2) }) { upstream, y, dx, width in
            var dot: Float = 0
            for column in 0..<width { dot += upstream[column] * y[column] }
            for column in 0..<width { dx[column] = y[column] * (upstream[column] - dot) }
        }
    }

    /// log softmax(x)_i = x_i - m - log sum_j e^{x_j - m}.
    /// Backward: dx = g - softmax(x) * sum_j g_j.
    public func logSoftmax(kernel: MatrixKernel = .selected) -> Tensor {
        rowwise(kernel: kernel, lanes: (rlhf_log_softmax, rlhf_log_softmax_backward),
                { Tensor.logSoftmaxRow($0, $1, width: $2) }) { upstream, y, dx, width in
            var total: Float = 0
            for column in 0..<width { total += upstream[column] }
            // Eight columns at a time where they fit: each lane the scalar line's operations.
            var column = 0
            while column + 8 <= width {
                let e = FastPortableMath.exp(Tensor.load8(y + column))
                Tensor.store8(Tensor.load8(upstream + column) - e * total, dx + column)
                column += 8
            }
            for column in column..<width { dx[column] = upstream[column] - PortableMath.exp(y[column]) * total }
        }
    }

    /// The entropy of each row's softmax, with no graph, given the rows' log-softmax (this tensor's
    /// `logSoftmax()`, as a log-prob read-out has it already), p = softmax(x):
    ///   H = -sum_j p_j log p_j
    /// The bits of `-(softmax() * logSoftmax).sumLastAxis()` without its four tensors: p by the same lanes,
    /// each p_j log p_j a Float product, summed from 0 in Double over the columns in order, the Float of the
    /// total negated.
    public func rowEntropies(logSoftmax: Tensor, kernel: MatrixKernel = .selected) -> [Float] {
        precondition(logSoftmax.shape == shape, "rowEntropies: log-softmax \(logSoftmax.shape) for \(shape)")
        let width = shape.last!
        let rows = count / Swift.max(width, 1)
        let probabilities = mapRows(kernel: kernel, lanes: rlhf_softmax) { Tensor.softmaxRow($0, $1, width: $2) }
        return [Float](unsafeUninitializedCapacity: rows) { entropies, initialised in
            probabilities.withUnsafeBufferPointer { p in
                logSoftmax.data.withUnsafeBufferPointer { logP in
                    for row in 0..<rows {
                        var total = 0.0
                        for column in row * width..<(row + 1) * width { total += Double(p[column] * logP[column]) }
                        entropies[row] = Float(total) * -1
                    }
                }
            }
            initialised = rows
        }
    }

    /// Causal masking of attention scores (..., T, T): entry (i, j) with j > i (a later
    /// position) becomes -infinity, so softmax gives it weight 0. Its gradient is 0 there
    /// and passes unchanged elsewhere.
    public func causalMasked() -> Tensor {
        precondition(shape.count >= 2 && shape[shape.count - 1] == shape[shape.count - 2],
                     "causal mask needs (..., T, T), got \(shape)")
        let size = shape.last!
        var output = data
        let blocks = count / Swift.max(size * size, 1)
        output.withUnsafeMutableBufferPointer { y in
            for block in 0..<blocks {
                for i in 0..<size {
                    for j in (i + 1)..<Swift.max(size, i + 1) { y[block * size * size + i * size + j] = -.infinity }
                }
            }
        }
        return Tensor(shape: shape, data: output, parents: [self]) { result in
            var gradient = result.grad!
            gradient.withUnsafeMutableBufferPointer { dx in
                for block in 0..<blocks {
                    for i in 0..<size {
                        for j in (i + 1)..<Swift.max(size, i + 1) { dx[block * size * size + i * size + j] = 0 }
                    }
                }
            }
            self.accumulateGrad(gradient)
        }
    }

    /// RLHFKernels' lanes for a row-wise op: forward(kernel, x, y, rows, width) and
    /// backward(kernel, upstream, y, dx, rows, width), each 0 when the kernel has no such lanes.
    typealias ForwardRowLanes = @convention(c) (Int32, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int,
                                                Int) -> Int32
    typealias BackwardRowLanes = @convention(c) (Int32, UnsafePointer<Float>?, UnsafePointer<Float>?,
                                                 UnsafeMutablePointer<Float>?, Int, Int) -> Int32

    /// A tensor of this shape whose every row of the last dimension is `forward(row, output, width)` of
    /// the same row here; its backward calls `backward(upstream, output, dx, width)` on each row. Where
    /// `kernel` has `lanes`, they run instead, on the same parts of the rows.
    @inline(__always)
    private func rowwise(kernel: MatrixKernel, lanes: (forward: ForwardRowLanes, backward: BackwardRowLanes),
                         _ forward: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                         backward: @escaping (UnsafePointer<Float>, UnsafePointer<Float>,
                                              UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        let width = shape.last!
        let rows = count / Swift.max(width, 1)
        let output = mapRows(kernel: kernel, lanes: lanes.forward, forward)
        return Tensor(shape: shape, data: output, parents: [self]) { result in
            self.accumulateGrad(overwritingFrom: result) { upstream, dx in  // each row writes its dx whole
                output.withUnsafeBufferPointer { y in
                    // Rows on both threads from `ParallelRows.minimumValues` values.
                    ParallelRows.split(rows: rows, width: width) { part, _ in
                        guard !part.isEmpty else { return }
                        let first = part.lowerBound * width
                        if lanes.backward(kernel.rawValue, upstream.baseAddress! + first, y.baseAddress! + first,
                                          dx.baseAddress! + first, part.count, width) != 0 {
                            return
                        }
                        for row in part {
                            let base = row * width
                            backward(upstream.baseAddress! + base, y.baseAddress! + base, dx.baseAddress! + base,
                                     width)
                        }
                    }
                }
            }
        }
    }

    /// `row(values, output, width)` applied to each row of the last dimension, into a new buffer (or
    /// `lanes` on each part of the rows, where `kernel` has them).
    @inline(__always)
    private func mapRows(kernel: MatrixKernel, lanes: ForwardRowLanes,
                         _ row: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
        let width = shape.last!
        let rows = count / Swift.max(width, 1)
        // `kernel` writes every value of its row, so the buffer starts uninitialised.
        let count = self.count
        return [Float](unsafeUninitializedCapacity: count) { y, initialised in
            data.withUnsafeBufferPointer { x in
                // Rows on both threads from `ParallelRows.minimumValues` values.
                ParallelRows.split(rows: rows, width: width) { part, _ in
                    guard !part.isEmpty else { return }
                    let first = part.lowerBound * width
                    if lanes(kernel.rawValue, x.baseAddress! + first, y.baseAddress! + first, part.count, width) != 0 {
                        return
                    }
                    for index in part { row(x.baseAddress! + index * width, y.baseAddress! + index * width, width) }
                }
            }
            initialised = count
        }
    }

    /// Softmax of `width` values from `values` into `output`.
    @inline(__always)
    static func softmaxRow(_ values: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, width: Int) {
        var largest = -Float.infinity
        for column in 0..<width { largest = Swift.max(largest, values[column]) }
        // The exponentials eight at a time (each lane the bits of the scalar one), then summed
        // one by one in column order.
        var column = 0
        while column + 8 <= width {
            store8(FastPortableMath.exp(load8(values + column) - largest), output + column)
            column += 8
        }
        for column in column..<width { output[column] = PortableMath.exp(values[column] - largest) }
        var total: Float = 0
        for column in 0..<width { total += output[column] }
        for column in 0..<width { output[column] /= total }
    }

    /// Log-softmax of `width` values from `values` into `output`.
    @inline(__always)
    static func logSoftmaxRow(_ values: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, width: Int) {
        var largest = -Float.infinity
        for column in 0..<width { largest = Swift.max(largest, values[column]) }
        // The exponentials eight at a time (each lane the bits of the scalar one), each block
        // then added to the total one by one in column order.
        var total: Double = 0
        var column = 0
        while column + 8 <= width {
            let e = FastPortableMath.exp(FastPortableMath.widen(load8(values + column) - largest))
            for lane in 0..<8 { total += e[lane] }
            column += 8
        }
        for column in column..<width { total += PortableMath.exp(Double(values[column] - largest)) }
        let logTotal = Float(PortableMath.log(total))
        for column in 0..<width { output[column] = values[column] - largest - logTotal }
    }

    @inline(__always)
    static func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ values: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: values, as: SIMD8<Float>.self)
    }
}
