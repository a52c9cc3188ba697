/// Plain matrix-product loops on raw row-major buffers.
///
/// These are the reference kernels: three nested loops in the order that reads
/// memory contiguously. Every sum is taken in the same order on every machine.
enum MatrixKernels {
    /// C (m x n) = A (m x k) * B (k x n), or C += A * B when `accumulate`.
    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int, accumulate: Bool = false
    ) {
        if !accumulate { c.update(repeating: 0, count: m * n) }
        for i in 0..<m {
            for p in 0..<k { addScaled(a[i * k + p], b + p * n, into: c + i * n, count: n) }
        }
    }

    /// C (m x k) += A (m x n) * B^T, with B stored (k x n).
    static func multiplyTransposedRight(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int
    ) {
        for i in 0..<m {
            let aRow = a + i * n
            for p in 0..<k {
                let bRow = b + p * n
                var total: Float = 0
                for j in 0..<n { total += aRow[j] * bRow[j] }
                c[i * k + p] += total
            }
        }
    }

    /// C (k x n) += A^T * B, with A stored (m x k) and B stored (m x n).
    static func multiplyTransposedLeft(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int
    ) {
        for i in 0..<m {
            for p in 0..<k { addScaled(a[i * k + p], b + i * n, into: c + p * n, count: n) }
        }
    }

    /// target[j] += scale * source[j] for j < count.
    @inline(__always)
    static func addScaled(_ scale: Float, _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
                          count: Int) {
        for j in 0..<count { target[j] += scale * source[j] }
    }
}
