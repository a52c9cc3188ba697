import RLHFKernels

/// The per-head loops of causal attention, shared by the batched op and the inference
/// path (the order of every sum: `Tensor.causalSelfAttention`'s doc in Attention.swift).
enum AttentionKernels {
    /// One head of one sequence by `kernel`'s lanes where it has them (RLHFKernels' AttentionHeads.c), else
    /// `forwardHead`: the rows (stride 3 x width) hold its queries, then its keys `width` floats on, then its
    /// values; output rows i < length (stride `outputStride`), and the weights when `weights` is given
    /// (each path's own layout, read back only by the same path's `headGradients`).
    static func head(queries: UnsafePointer<Float>, width: Int, length: Int, headWidth: Int, scale: Float,
                     output: UnsafeMutablePointer<Float>, outputStride: Int, weights: UnsafeMutablePointer<Float>?,
                     scratch: AttentionScratch, kernel: MatrixKernel) {
        if rlhf_attention_forward(kernel.rawValue, queries, queries + width, queries + 2 * width, 3 * width, length,
                                  headWidth, scale, output, outputStride, weights, scratch.wide) != 0 {
            return
        }
        forwardHead(queries: queries, keys: queries + width, values: queries + 2 * width, stride: 3 * width,
                    length: length, headWidth: headWidth, scale: scale, output: output, outputStride: outputStride,
                    weights: weights, scratch: scratch)
    }

    /// The gradients of `head`'s inputs, written into the head's columns of its rows of `gradients` (dq, then
    /// dk `width` floats on, then dv; stride 3 x width), which may start uninitialised: the bits of adding
    /// every term onto zeros. The lanes write each sum from +0 (a sum from +0 is never -0, and 0 + S is S);
    /// `backwardHead`, which adds, gets the zeros first.
    static func headGradients(queries: UnsafePointer<Float>, width: Int, weights: UnsafePointer<Float>,
                              upstream: UnsafePointer<Float>, upstreamStride: Int,
                              gradients: UnsafeMutablePointer<Float>, length: Int, headWidth: Int, scale: Float,
                              scratch: AttentionScratch, kernel: MatrixKernel) {
        let stride = 3 * width
        if rlhf_attention_backward(kernel.rawValue, queries, queries + width, queries + 2 * width, stride, weights,
                                   upstream, upstreamStride, gradients, gradients + width, gradients + 2 * width,
                                   length, headWidth, scale, scratch.wide) != 0 {
            return
        }
        for row in 0..<length {
            for part in 0..<3 { (gradients + row * stride + part * width).initialize(repeating: 0, count: headWidth) }
        }
        backwardHead(queries: queries, keys: queries + width, values: queries + 2 * width, stride: stride,
                     weights: weights, upstream: upstream, upstreamStride: upstreamStride,
                     dQueries: gradients, dKeys: gradients + width, dValues: gradients + 2 * width,
                     length: length, headWidth: headWidth, scale: scale, scratch: scratch)
    }

    /// y[t] = y[t] + a * x[t] for t < n: one multiply and one add per element, so each
    /// element's sum advances by exactly one term. Eight lanes at a time, then four, then one.
    @inline(__always)
    static func addScaled(_ y: UnsafeMutablePointer<Float>, _ a: Float, _ x: UnsafePointer<Float>, _ n: Int) {
        var t = 0
        while t + 8 <= n {
            let sum = UnsafeRawPointer(y + t).loadUnaligned(as: SIMD8<Float>.self)
                + a * UnsafeRawPointer(x + t).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + t).storeBytes(of: sum, as: SIMD8<Float>.self)
            t += 8
        }
        while t + 4 <= n {
            let sum = UnsafeRawPointer(y + t).loadUnaligned(as: SIMD4<Float>.self)
                + a * UnsafeRawPointer(x + t).loadUnaligned(as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(y + t).storeBytes(of: sum, as: SIMD4<Float>.self)
            t += 4
        }
        while t < n {
            y[t] += a * x[t]
            t += 1
        }
    }

    /// Copies rows 0..<n of a (n x hs) strided matrix into `target` transposed: target[d * ld + j].
    @inline(__always)
    static func transpose(_ rows: UnsafePointer<Float>, stride: Int, count n: Int, headWidth: Int,
                          into target: UnsafeMutablePointer<Float>, leading ld: Int) {
        for j in 0..<n {
            let source = rows + j * stride
            for d in 0..<headWidth { target[d * ld + j] = source[d] }
        }
    }

    /// Scores s[j] = (sum_d q[d] kT[d, j]) * scale for j < n, then the softmax over them,
    /// in place in `row`. kT is the keys transposed, with leading dimension ld.
    @inline(__always)
    static func attentionWeights(query: UnsafePointer<Float>, keysTransposed: UnsafePointer<Float>, leading ld: Int,
                                 count n: Int, headWidth: Int, scale: Float, row: UnsafeMutablePointer<Float>) {
        row.update(repeating: 0, count: n)
        for d in 0..<headWidth { addScaled(row, query[d], keysTransposed + d * ld, n) }
        for j in 0..<n { row[j] = row[j] * scale }
        Tensor.softmaxRow(row, row, width: n)
    }

    /// One head of one sequence: output rows i < length (stride `outputStride`), and the
    /// weights (length x length, row i written for j <= i only) when `weights` is given.
    static func forwardHead(
        queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, stride: Int,
        length: Int, headWidth: Int, scale: Float,
        output: UnsafeMutablePointer<Float>, outputStride: Int,
        weights: UnsafeMutablePointer<Float>?, scratch: AttentionScratch
    ) {
        transpose(keys, stride: stride, count: length, headWidth: headWidth, into: scratch.transposed, leading: length)
        for i in 0..<length {
            let count = i + 1
            attentionWeights(query: queries + i * stride, keysTransposed: scratch.transposed, leading: length,
                             count: count, headWidth: headWidth, scale: scale, row: scratch.row)
            let out = output + i * outputStride
            out.update(repeating: 0, count: headWidth)
            for j in 0..<count { addScaled(out, scratch.row[j], values + j * stride, headWidth) }
            weights?.advanced(by: i * length).update(from: scratch.row, count: count)
        }
    }

    /// Gradients of one head of one sequence, added into dQueries, dKeys, dValues (which
    /// must hold +0 where this head writes).
    static func backwardHead(
        queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, stride: Int,
        weights: UnsafePointer<Float>, upstream: UnsafePointer<Float>, upstreamStride: Int,
        dQueries: UnsafeMutablePointer<Float>, dKeys: UnsafeMutablePointer<Float>,
        dValues: UnsafeMutablePointer<Float>,
        length: Int, headWidth: Int, scale: Float, scratch: AttentionScratch
    ) {
        let valuesTransposed = scratch.transposed
        transpose(values, stride: stride, count: length, headWidth: headWidth, into: valuesTransposed, leading: length)
        let dWeights = scratch.rowGradient
        for i in 0..<length {
            let count = i + 1
            let g = upstream + i * upstreamStride
            let w = weights + i * length
            // dw[j] = sum_d g[d] v[j, d]
            dWeights.update(repeating: 0, count: count)
            for d in 0..<headWidth { addScaled(dWeights, g[d], valuesTransposed + d * length, count) }
            // Softmax backward, then the scale.
            var dot: Float = 0
            for j in 0..<count { dot += dWeights[j] * w[j] }
            for j in 0..<count { dWeights[j] = (w[j] * (dWeights[j] - dot)) * scale }
            // dq[i] = sum_j ds[j] k[j]; dk[j] += q[i] ds[j]; dv[j] += w[j] g.
            let dq = scratch.vector
            dq.update(repeating: 0, count: headWidth)
            let q = queries + i * stride
            for j in 0..<count {
                addScaled(dq, dWeights[j], keys + j * stride, headWidth)
                addScaled(dKeys + j * stride, dWeights[j], q, headWidth)
                addScaled(dValues + j * stride, w[j], g, headWidth)
            }
            let target = dQueries + i * stride
            for d in 0..<headWidth { target[d] += dq[d] }
        }
    }
}
