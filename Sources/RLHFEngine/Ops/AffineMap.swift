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
extension Tensor {
    public func affine(weight: Tensor, bias: Tensor) -> Tensor {
        precondition(shape.count >= 1 && weight.shape.count == 2 && weight.shape[0] == shape.last!
                     && bias.shape == [weight.shape[1]],
                     "affine: input \(shape), weight \(weight.shape), bias \(bias.shape)")
        let (k, n) = (weight.shape[0], weight.shape[1])
        let rows = shape.dropLast().reduce(1, *)
        let total = rows * n
        let output = [Float](unsafeUninitializedCapacity: total) { y, initialised in
            initialised = total
            guard total > 0 else { return }
            if k == 0 {
                y.initialize(repeating: 0)  // an empty sum; the bias below still lands, as 0 + b
            } else {
                data.withUnsafeBufferPointer { x in
                    weight.data.withUnsafeBufferPointer { w in
                        FastMatrixKernels.multiply(x.baseAddress!, w.baseAddress!, y.baseAddress!, m: rows, k: k, n: n)
                    }
                }
            }
            bias.data.withUnsafeBufferPointer { b in
                for row in 0..<rows {
                    let target = y.baseAddress! + row * n
                    for column in 0..<n { target[column] = target[column] + b[column] }
                }
            }
        }
        return Tensor(shape: Array(shape.dropLast()) + [n], data: output, parents: [self, weight, bias]) { result in
            // dx is added onto zeros (its products add their total into C); dW is written whole by
            // its product when there are rows (C = 0 + terms, the bits of adding them onto zeros),
            // so it starts uninitialised; db sums from 0.
            var inputGradient = [Float](repeating: 0, count: self.count)
            var weightGradient = total > 0
                ? [Float](unsafeUninitializedCapacity: weight.count) { _, initialised in initialised = weight.count }
                : [Float](repeating: 0, count: weight.count)
            var biasGradient = [Float](repeating: 0, count: n)
            result.grad!.withUnsafeBufferPointer { g in
                self.data.withUnsafeBufferPointer { x in
                    weight.data.withUnsafeBufferPointer { w in
                        inputGradient.withUnsafeMutableBufferPointer { dx in
                            weightGradient.withUnsafeMutableBufferPointer { dw in
                                guard total > 0 else { return }
                                // dx (rows x K) += g (rows x N) W^T;  dW (K x N) += x^T (K x rows) g (rows x N)
                                FastMatrixKernels.multiplyTransposedRight(g.baseAddress!, w.baseAddress!,
                                                                          dx.baseAddress!, m: rows, n: n, k: k)
                                // multiplyTransposedLeft's product, overwriting: C = 0 + terms.
                                FastMatrixKernels.blocked(a: x.baseAddress!, aRowStride: 1, aDepthStride: k,
                                                          b: g.baseAddress!, ldb: n, c: dw.baseAddress!, ldc: n,
                                                          rows: k, columns: n, depth: rows, mode: .overwrite)
                            }
                        }
                    }
                }
                biasGradient.withUnsafeMutableBufferPointer { db in
                    for row in 0..<rows {
                        let source = g.baseAddress! + row * n
                        for column in 0..<n { db[column] += source[column] }
                    }
                }
            }
            self.accumulateGrad(inputGradient)
            weight.accumulateGrad(weightGradient)
            bias.accumulateGrad(biasGradient)
        }
    }
}
