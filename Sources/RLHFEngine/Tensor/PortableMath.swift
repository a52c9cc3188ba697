/// Exponential, logarithm and hyperbolic tangent written out in plain arithmetic.
///
/// The C library's `expf`/`logf`/`tanhf` differ between platforms in the last bit,
/// and a last-bit difference in one logit can change a sampled token and, from
/// there, every number a lesson prints. These functions use only IEEE-754 addition,
/// multiplication, division and exact bit manipulation on `Double`, so they give the
/// same bits on every machine. Each is accurate to well under one `Float` ulp.
public enum PortableMath {
    static let ln2 = 0.693_147_180_559_945_3
    static let inverseLn2 = 1.442_695_040_888_963_4
    static let roundingShift = 6_755_399_441_055_744.0  // 1.5 * 2^52

    /// e^x. Range reduction x = k ln2 + r with |r| <= ln2/2, then a degree-10
    /// Taylor polynomial for e^r (error below 2e-10), then scaling by 2^k.
    ///
    /// Two steps are written to avoid library calls, exactly: k = round-to-nearest-even
    /// of x / ln2 is formed as (v + 1.5 * 2^52) - 1.5 * 2^52 (for |v| < 2^51 IEEE addition
    /// itself rounds v to an integer, ties to even, and the subtraction is exact; here
    /// |v| <= 1076), and 2^h is built from its bit pattern.
    @inline(__always)
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.79 { return .infinity }
        if x < -745.2 { return 0 }
        let k = (x * inverseLn2 + roundingShift) - roundingShift
        let r = x - k * ln2
        let p = expPolynomial(r)
        // x * 2^k in two steps, so that neither factor overflows.
        let power = Int(k)
        let half = power / 2
        return p * powerOfTwo(half) * powerOfTwo(power - half)
    }

    /// The Taylor polynomial of e^r, sum_{n=0}^{10} r^n / n!, in Horner form: for one Double
    /// and (in `FastPortableMath`) for eight lanes, the same operations in the same order.
    @inline(__always)
    static func expPolynomial<Value: HornerValue>(_ r: Value) -> Value {
        var p = Value(1.0 / 3_628_800.0)
        p = p * r + 1.0 / 362_880.0
        p = p * r + 1.0 / 40_320.0
        p = p * r + 1.0 / 5_040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        return p * r + 1.0
    }

    /// 2^e for a normal exponent (-1022...1023), from its bit pattern.
    @inline(__always)
    private static func powerOfTwo(_ e: Int) -> Double {
        Double(bitPattern: UInt64(truncatingIfNeeded: e + 1023) << 52)
    }

    /// ln x. Writes x = m * 2^e with m in [sqrt(1/2), sqrt(2)), then
    /// ln m = 2 atanh(s) with s = (m - 1)/(m + 1), |s| < 0.172, summed to s^15.
    public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x.isInfinite { return x }
        var exponent = Int(x.exponent)
        var mantissa = x.significand  // in [1, 2)
        if mantissa > 1.414_213_562_373_095 {
            mantissa *= 0.5
            exponent += 1
        }
        let s = (mantissa - 1) / (mantissa + 1)
        let s2 = s * s
        // Horner form of sum_{j=0}^{7} s2^j / (2j + 1); 1 / (2j + 1) rounds as the literal would.
        var series = 1.0 / 15.0
        for denominator in stride(from: 13, through: 1, by: -2) { series = series * s2 + 1.0 / Double(denominator) }
        return 2 * s * series + Double(exponent) * ln2
    }

    /// tanh x = (1 - e^{-2|x|}) / (1 + e^{-2|x|}), with the sign of x.
    @inline(__always)
    public static func tanh(_ x: Double) -> Double {
        if x.isNaN { return x }
        let magnitude = Swift.abs(x)
        if magnitude > 20 { return x > 0 ? 1 : -1 }
        if magnitude < 1e-4 { return x - x * x * x / 3 }
        let e = exp(-2 * magnitude)
        let t = (1 - e) / (1 + e)
        return x < 0 ? -t : t
    }

    /// `Float` versions, computed in `Double` and rounded once.
    @inline(__always) public static func exp(_ x: Float) -> Float { Float(exp(Double(x))) }
    public static func log(_ x: Float) -> Float { Float(log(Double(x))) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { Float(tanh(Double(x))) }
}

/// What `PortableMath.expPolynomial` needs of a value: products and sums with a constant.
protocol HornerValue {
    init(_ constant: Double)
    static func * (lhs: Self, rhs: Self) -> Self
    static func + (lhs: Self, rhs: Double) -> Self
}

extension Double: HornerValue {}

extension SIMD8: HornerValue where Scalar == Double {
    init(_ constant: Double) { self.init(repeating: constant) }
}
