/// e^x on eight values at a time, with the same bits as `PortableMath.exp`, for the
/// softmax and log-softmax rows.
///
/// Each lane runs the scalar function's operations in its order: k = (x / ln2 + 1.5 * 2^52)
/// - 1.5 * 2^52 (round to nearest even), r = x - k ln2, the same Horner polynomial for e^r
/// (`PortableMath.expPolynomial`), then (p * 2^h) * 2^(k - h) with h = k / 2 rounded toward
/// zero, each power of two built from its bit pattern. k is read from the low bits of
/// x / ln2 + 1.5 * 2^52. A block with any lane outside the scalar function's main range
/// (NaN, above 709.79, below -745.2) is computed lane by lane by `PortableMath.exp` itself.
extension FastPortableMath {
    @inline(__always)
    static func exp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        guard all((x .<= 709.79) .& (x .>= -745.2)) else {  // NaN fails both comparisons
            var result = x
            for lane in 0..<8 { result[lane] = PortableMath.exp(x[lane]) }
            return result
        }
        let shifted = x * PortableMath.inverseLn2 + PortableMath.roundingShift
        let k = shifted - PortableMath.roundingShift
        let r = x - k * PortableMath.ln2
        let p = PortableMath.expPolynomial(r)
        let power = unsafeBitCast(shifted, to: SIMD8<Int64>.self)
            &- Int64(bitPattern: PortableMath.roundingShift.bitPattern)
        let half = (power &- (power &>> 63)) &>> 1  // power / 2, rounded toward zero as Int division
        let first = unsafeBitCast((half &+ 1023) &<< 52, to: SIMD8<Double>.self)
        let second = unsafeBitCast((power &- half &+ 1023) &<< 52, to: SIMD8<Double>.self)
        return p * first * second
    }

    /// Float(e^Double(x)) for eight floats: the same bits as `PortableMath.exp(_: Float)` on each.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        narrow(exp(widen(x)))
    }

    /// Each lane as a Double (exact). Written lane by lane: the generic conversion is not inlined.
    @inline(__always)
    static func widen(_ x: SIMD8<Float>) -> SIMD8<Double> {
        SIMD8(Double(x[0]), Double(x[1]), Double(x[2]), Double(x[3]),
              Double(x[4]), Double(x[5]), Double(x[6]), Double(x[7]))
    }

    /// Each lane rounded to the nearest Float, as `Float(_: Double)` rounds it.
    @inline(__always)
    static func narrow(_ x: SIMD8<Double>) -> SIMD8<Float> {
        SIMD8(Float(x[0]), Float(x[1]), Float(x[2]), Float(x[3]), Float(x[4]), Float(x[5]), Float(x[6]), Float(x[7]))
    }
}
