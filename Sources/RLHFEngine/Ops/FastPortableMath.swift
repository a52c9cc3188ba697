import RLHFKernels

/// GELU and tanh on eight values at a time, with the same bits as `PortableMath`.
///
/// What it computes: `PortableMath.tanh` lane by lane (same range checks, same Double
/// polynomial in the same Horner order, same scaling, the branches as lane selects),
/// and GELU's tanh form and its derivative built on it, exactly as `Tensor.gelu()`
/// computes them one value at a time. The results are identical on every machine (only
/// IEEE add, multiply and divide on Double lanes); the engine's GELU uses these.
public enum FastPortableMath {
    private static let (ln2, inverseLn2, roundingShift) =
        (PortableMath.ln2, PortableMath.inverseLn2, PortableMath.roundingShift)

    /// GELU's tanh form, bit-identical to `Tensor.geluValue`.
    @inline(__always)
    public static func gelu(_ x: Float) -> Float {
        let c = Float(0.797_884_560_802_865_4)
        return 0.5 * x * (1 + PortableMath.tanh(c * (x + 0.044715 * x * x * x)))
    }

    /// GELU's derivative, bit-identical to the one `Tensor.gelu()` back-propagates.
    @inline(__always)
    public static func geluDerivative(_ x: Float) -> Float {
        let c = Float(0.797_884_560_802_865_4)
        let t = PortableMath.tanh(c * (x + 0.044715 * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
    }

    // MARK: - Eight values at a time

    /// `tanh` of eight doubles, lane by lane the same bits as `tanh(_: Double)`.
    ///
    /// Every lane runs the same IEEE operations as the scalar function; the branches
    /// become lane selects. In the branch that calls exp, its argument is -2|x| in
    /// [-40, 0], so exp's range checks never fire, k = round(x / ln2) lies in [-58, 0],
    /// and scaling by 2^half then 2^(k - half) equals scaling by 2^k once (both exact:
    /// the results stay normal). k is read from the low bits of x / ln2 + 1.5 * 2^52.
    @inline(__always)
    static func tanh(_ x: SIMD8<Double>) -> SIMD8<Double> {
        let signMask = SIMD8<UInt64>(repeating: 0x7FFF_FFFF_FFFF_FFFF)
        let magnitude = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt64>.self) & signMask, to: SIMD8<Double>.self)
        // Lanes that take another branch (or are NaN) get a harmless stand-in.
        let usesExp = (magnitude .<= 20) .& (magnitude .>= 1e-4)
        let m = SIMD8<Double>(repeating: 1).replacing(with: magnitude, where: usesExp)
        let y = -2 * m
        let shifted = y * inverseLn2 + roundingShift
        let k = shifted - roundingShift
        let r = y - k * ln2
        let p = PortableMath.expPolynomial(r)
        let power = unsafeBitCast(shifted, to: SIMD8<Int64>.self) &- Int64(bitPattern: roundingShift.bitPattern)
        let scale = unsafeBitCast((power &+ 1023) &<< 52, to: SIMD8<Double>.self)
        let e = p * scale
        let t = (1 - e) / (1 + e)
        var result = t.replacing(with: -t, where: x .< 0)
        let small = magnitude .< 1e-4
        if any(small) { result.replace(with: x - x * x * x / 3, where: small) }
        let one = SIMD8<Double>(repeating: 1)
        result.replace(with: one.replacing(with: -one, where: .!(x .> 0)), where: magnitude .> 20)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// tanh(c (x + 0.044715 x^3)) for eight floats, as `gelu` and `geluDerivative` form it.
    @inline(__always)
    static func geluTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let c = Float(0.797_884_560_802_865_4)
        let a: Float = 0.044715
        let u = c * (x + a * x * x * x)
        return SIMD8<Float>(tanh(SIMD8<Double>(u)))
    }

    /// tanh(c (x + 0.044715 x^3)) for one float, as `gelu` and `geluDerivative` form it.
    @inline(__always)
    static func geluTanh(_ x: Float) -> Float {
        let c = Float(0.797_884_560_802_865_4)
        return PortableMath.tanh(c * (x + 0.044715 * x * x * x))
    }

    /// y = gelu(x) for `count` values: the same bits as `gelu(_:)` on each. When `tanhOut`
    /// is given it receives each value's tanh(c (x + 0.044715 x^3)), for `geluBackward`.
    static func gelu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                     tanhOut: UnsafeMutablePointer<Float>? = nil) {
        if count >= splitCount {
            forEachChunk(count) { first, length in
                geluRange(x + first, y + first, count: length, tanhOut: tanhOut.map { $0 + first })
            }
        } else {
            geluRange(x, y, count: count, tanhOut: tanhOut)
        }
    }

    /// Arrays of at least this many values are cut into chunks (`forEachChunk`) that `WorkerPool`'s
    /// two threads claim in turn; each value's result is the same whichever chunk and thread it falls in.
    static let splitCount = 8192

    /// Values a chunk has at least (up to `WorkerPool.defaultChunks` chunks).
    static let leastChunkCount = 2048

    /// Calls `body(first, length)` for consecutive chunks covering 0..<count, cut at multiples of 16 values
    /// (two blocks of the eight lanes) into a number of chunks fixed by `count`, on both of `WorkerPool`'s
    /// threads.
    private static func forEachChunk(_ count: Int, _ body: (_ first: Int, _ length: Int) -> Void) {
        let chunks = WorkerPool.chunkCount(units: count, least: leastChunkCount)
        WorkerPool.runChunks(chunks) { chunk in
            let first = WorkerPool.chunkStart(chunk, of: chunks, units: count, step: 16)
            let end = WorkerPool.chunkStart(chunk + 1, of: chunks, units: count, step: 16)
            if end > first { body(first, end - first) }
        }
    }

    /// GELU's constants as the Swift literals round them, {c, a, 3 a}, for RLHFKernels' lanes.
    static let geluConstants: [Float] = [Float(0.797_884_560_802_865_4), 0.044715, 3 * 0.044715]

    private static func geluRange(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                                  tanhOut: UnsafeMutablePointer<Float>?) {
        // The same operations in AVX2 / AVX-512 Double lanes where the selected kernel has them.
        if rlhf_gelu(MatrixKernel.selected.rawValue, x, y, count, tanhOut, geluConstants) != 0 { return }
        var index = 0
        while index + 8 <= count {
            let v = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self)
            let t = geluTanh(v)
            let result = 0.5 * v * (1 + t)
            UnsafeMutableRawPointer(y + index).storeBytes(of: result, as: SIMD8<Float>.self)
            if let tanhOut { UnsafeMutableRawPointer(tanhOut + index).storeBytes(of: t, as: SIMD8<Float>.self) }
            index += 8
        }
        while index < count {
            let t = geluTanh(x[index])
            y[index] = 0.5 * x[index] * (1 + t)
            tanhOut?[index] = t
            index += 1
        }
    }

    /// dx = g * gelu'(x) for `count` values: the same bits as g * `geluDerivative(_:)` on each.
    /// `tanhValues`, when given, holds each value's tanh as `gelu(_:_:count:tanhOut:)` saved it
    /// (the same bits as recomputing it here).
    static func geluBackward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                             count: Int, tanhValues: UnsafePointer<Float>? = nil) {
        if count >= splitCount {
            forEachChunk(count) { first, length in
                geluBackwardRange(x + first, g + first, dx + first, count: length,
                                  tanhValues: tanhValues.map { $0 + first })
            }
        } else {
            geluBackwardRange(x, g, dx, count: count, tanhValues: tanhValues)
        }
    }

    private static func geluBackwardRange(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                                          _ dx: UnsafeMutablePointer<Float>, count: Int,
                                          tanhValues: UnsafePointer<Float>?) {
        if rlhf_gelu_backward(MatrixKernel.selected.rawValue, x, g, dx, count, tanhValues, geluConstants) != 0 {
            return
        }
        let c = Float(0.797_884_560_802_865_4)
        let b: Float = 3 * 0.044715
        var index = 0
        while index + 8 <= count {
            let v = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self)
            let upstream = UnsafeRawPointer(g + index).loadUnaligned(as: SIMD8<Float>.self)
            let t = tanhValues.map { UnsafeRawPointer($0 + index).loadUnaligned(as: SIMD8<Float>.self) } ?? geluTanh(v)
            // 0.5 (1 + t) + 0.5 x (1 - t t) c (1 + 3 * 0.044715 x x), operation by operation.
            let first: SIMD8<Float> = 0.5 * (1 + t)
            let slope: SIMD8<Float> = 1 - t * t
            let cubic: SIMD8<Float> = 1 + b * v * v
            let second: SIMD8<Float> = 0.5 * v * slope * c * cubic
            let derivative = first + second
            UnsafeMutableRawPointer(dx + index).storeBytes(of: upstream * derivative, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            let (v, t) = (x[index], tanhValues?[index] ?? geluTanh(x[index]))
            let derivative = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + b * v * v)
            dx[index] = g[index] * derivative
            index += 1
        }
    }
}
