/// The affine map y = x W + b as one op: GPT-2's `Conv1D` (`Affine`).
///
/// x is (..., K), W is (K, N), b is (N); y is (..., N). It computes exactly what
/// `x.matmul(W) + b` computes, element by element: each y[i, j] is the product's sum
/// (from +0, over k in order, in `FastMatrixKernels`) rounded, then + b[j] rounded.
/// Backward, with g = dL/dy:
///   dx = g W^T,  dW = x^T g,  db[j] = sum over rows i of g[i, j] (rows in order, from 0),
/// the same kernel calls as `matmul`'s backward and the same sums as the broadcast add's.
/// The one op saves the product's own buffer and graph node, and the add's copy of g: the
/// copy (0 + g * 1) differs from g only in turning -0 into +0, which no sum that starts
/// from +0 can tell apart, so dx and dW are the same bits as through the two ops.
///
/// With `residual` r (the shape of y), it is r + (x W + b), a residual connection: the bits of
/// `residual + x.affine(weight:bias:)`, each value r + y one more rounding, added in place into y's
/// buffer once the product has stored it, with no tensor for y. Backward, r receives 0 + g, as the
/// input of an add does (`accumulateGrad(addedToZero:)`), and the rest is as above.
extension Tensor {
    public func affine(weight: Tensor, bias: Tensor, adding residual: Tensor? = nil) -> Tensor {
        precondition(shape.count >= 1 && weight.shape.count == 2 && weight.shape[0] == shape.last!
                     && bias.shape == [weight.shape[1]],
                     "affine: input \(shape), weight \(weight.shape), bias \(bias.shape)")
        let outputShape = Array(shape.dropLast()) + [weight.shape[1]]
        precondition(residual == nil || residual!.shape == outputShape,
                     "affine: residual \(residual!.shape) for output \(outputShape)")
        let (k, n) = (weight.shape[0], weight.shape[1])
        let rows = shape.dropLast().reduce(1, *)
        let total = rows * n
        let output = [Float](unsafeUninitializedCapacity: total) { y, initialised in
            initialised = total
            guard total > 0 else { return }
            bias.data.withUnsafeBufferPointer { b in
                if k == 0 {  // an empty sum: y = 0 + b
                    for row in 0..<rows {
                        for column in 0..<n { y[row * n + column] = 0 + b[column] }
                    }
                    return
                }
                // y = (x W) + b: each row's bias added in the product's chunk, once its sums are stored.
                data.withUnsafeBufferPointer { x in
                    weight.data.withUnsafeBufferPointer { w in
                        FastMatrixKernels.multiply(x.baseAddress!, w.baseAddress!, y.baseAddress!, m: rows, k: k, n: n,
                                                   bias: b.baseAddress!)
                    }
                }
            }
            // y = y + r, the residual add's one rounding per value (the bits of r + y: an IEEE add commutes).
            residual?.data.withUnsafeBufferPointer { r in
                Tensor.addRow(r.baseAddress!, into: y.baseAddress!, count: total)
            }
        }
        // Every gradient is a sum from +0 of terms of g: an awaiting gradient is read as it stands.
        let parents = residual.map { [self, weight, bias, $0] } ?? [self, weight, bias]
        return Tensor(shape: outputShape, data: output, parents: parents, acceptsAwaitingGradient: true) { result in
            residual?.accumulateGrad(addedToZero: result.grad!)  // 0 + (0 + g) is 0 + g: awaiting or not
            // dx, dW and db are written whole when there are outputs (each sum from +0: the bits of adding
            // it onto zeros), so they start uninitialised; with no outputs they are zeros.
            func gradient(_ count: Int) -> [Float] {
                total > 0 ? [Float](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
                    : [Float](repeating: 0, count: count)
            }
            var inputGradient = gradient(self.count)
            var weightGradient = gradient(weight.count)
            var biasGradient = gradient(n)
            result.grad!.withUnsafeBufferPointer { g in
                self.data.withUnsafeBufferPointer { x in
                    weight.data.withUnsafeBufferPointer { w in
                        inputGradient.withUnsafeMutableBufferPointer { dx in
                            weightGradient.withUnsafeMutableBufferPointer { dw in
                                biasGradient.withUnsafeMutableBufferPointer { db in
                                    guard total > 0 else { return }  // all three are zeros
                                    // dx (rows x K) = g (rows x N) W^T;  dW (K x N) = x^T (K x rows) g (rows x N);
                                    // db[j] = sum over rows of g[i, j], rows in order (in the same job).
                                    FastMatrixKernels.productGradients(
                                        upstream: g.baseAddress!, left: x.baseAddress!, right: w.baseAddress!,
                                        leftGradient: dx.baseAddress!, rightGradient: dw.baseAddress!,
                                        biasGradient: db.baseAddress!, rows: rows, depth: k, columns: n)
                                }
                            }
                        }
                    }
                }
            }
            self.accumulateGrad(inputGradient)
            weight.accumulateGrad(weightGradient)
            bias.accumulateGrad(biasGradient)
        }
    }
}

extension Tensor {
    /// sums[j] = 0 + x[0, j] + x[1, j] + ... (rows in order) for a (rows x width) row-major x: sixteen columns
    /// at a time in the lanes of `SIMD16<Float>` (independent IEEE adds, each column's own order), the
    /// columns past the last sixteen one at a time. `sums` must not overlap x.
    static func columnSums(_ x: UnsafePointer<Float>, rows: Int, width: Int, into sums: UnsafeMutablePointer<Float>) {
        let lanes = 16
        var column = 0
        while column + lanes <= width {
            var total = SIMD16<Float>(repeating: 0)
            for row in 0..<rows {
                total += UnsafeRawPointer(x + row * width + column).loadUnaligned(as: SIMD16<Float>.self)
            }
            UnsafeMutableRawPointer(sums + column).storeBytes(of: total, as: SIMD16<Float>.self)
            column += lanes
        }
        for last in column..<width {
            var total: Float = 0
            for row in 0..<rows { total += x[row * width + last] }
            sums[last] = total
        }
    }
}
