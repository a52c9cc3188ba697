import RLHFKernels

/// The global gradient norm ||g|| = sqrt(sum of g^2) as a Float, with the bits of its defining order:
/// every g^2 formed in Double and added in one left-to-right chain, total = (((0 + g0^2) + g1^2) + ...),
/// then Float(sqrt(total)). That chain is one dependent Double addition per value (about 90 µs for the
/// default world's 61 thousand parameters), too slow to wait for on every step and impossible to split
/// without changing its roundings.
///
/// `fast` gives the chain's Float without running the chain, whenever it can prove which Float that is:
/// - Each g^2 is exact in Double (24-bit significands make a 48-bit product; no float squares to an
///   underflow or overflow of Double), so the chain and a sum in lanes (`laneSum`) add the same n terms,
///   each term through at most n additions. For non-negative terms both sums lie within gamma_n S of the exact
///   sum S, gamma_n = n u / (1 - n u), u = 2^-53 (recursive summation's bound, Higham, Accuracy and
///   Stability, 4.2), so |chain - lanes| <= eps lanes with eps = 2 gamma_n / (1 - gamma_n).
/// - The square roots then differ by at most eps relative, and each Double square root adds u.
/// - When every Double within delta = 2 (eps + 4 u) of the lanes' root rounds to one Float (no midpoint
///   between two Floats inside), the chain's root rounds to that Float too: it is the answer.
/// - Otherwise (a root within about 2^-35 of a midpoint, for n near 61 thousand: one step in 2^10 to 2^11),
///   or for zero, non-finite, subnormal or near-overflow roots, the chain runs. So the result is always the
///   chain's, bit for bit, on every machine, whichever way it was found.
public enum GradientNorm {
    /// The chain itself: total += Double(g) * Double(g) over every value in order, Float(sqrt(total)).
    public static func chained(_ gradients: [[Float]]) -> Float {
        var total = 0.0
        for gradient in gradients {
            gradient.withUnsafeBufferPointer { values in
                for value in values { total += Double(value) * Double(value) }
            }
        }
        return Float(total.squareRoot())
    }

    /// The chain's Float (see the type's doc): proven from the lanes, else the chain run.
    public static func fast(_ gradients: [[Float]]) -> Float {
        provenFloat(gradients) ?? chained(gradients)
    }

    /// The chain's Float as proven from a sum in Double lanes (`laneSum`), or nil when the proof fails.
    public static func provenFloat(_ gradients: [[Float]]) -> Float? {
        let count = gradients.reduce(0) { $0 + $1.count }
        let unit = 0x1p-53
        guard count > 0, Double(count) * unit < 0.01 else { return nil }
        let gamma = Double(count) * unit / (1 - Double(count) * unit)
        let sumError = 2 * gamma / (1 - gamma)  // |chain - lanes| <= sumError lanes
        return certainFloat(near: laneSum(gradients).squareRoot(), relativeError: 2 * (sumError + 4 * unit))
    }

    /// The one Float that every Double within `relativeError` of `root` rounds to, or nil when there is
    /// none (a midpoint of two Floats lies within reach) or when `root` is zero, not finite, below the
    /// smallest normal Float or near the largest finite one.
    public static func certainFloat(near root: Double, relativeError: Double) -> Float? {
        guard root.isFinite, root >= Double(Float.leastNormalMagnitude) * 2,
              root <= Double(Float.greatestFiniteMagnitude) / 2 else { return nil }
        let rounded = Float(root)
        // Midpoints of two neighbouring Floats need one bit more than a Float: exact in Double.
        let above = (Double(rounded) + Double(rounded.nextUp)) / 2
        let below = (Double(rounded) + Double(rounded.nextDown)) / 2
        guard root * (1 + relativeError) < above, root * (1 - relativeError) > below else { return nil }
        return rounded
    }

    /// sum of g^2 in four sets of eight Double lanes: each buffer's whole blocks of 32 values in order, value
    /// 8 s + j of a block into lane j of set s; the blocks of eight after those into set 0; the rest one by
    /// one. The sets are then added lane by lane, (0 + 1) + (2 + 3), and the eight lanes onto the rest in
    /// order: a different order from the chain's (every term still passes through fewer than n additions),
    /// within the bound above. The blocks of 32 run in RLHFKernels' AVX2 / AVX-512 lanes where the selected
    /// kernel has them (SquareSums.c, the same lanes' bits), four chains of additions in flight.
    public static func laneSum(_ gradients: [[Float]], kernel: MatrixKernel = .selected) -> Double {
        var lanes = [Double](repeating: 0, count: 32)
        var rest = 0.0
        lanes.withUnsafeMutableBufferPointer { lanes in
            let sets = UnsafeMutableRawPointer(lanes.baseAddress!)
            for gradient in gradients {
                gradient.withUnsafeBufferPointer { values in
                    guard let base = values.baseAddress else { return }
                    let raw = UnsafeRawPointer(base)
                    /// Adds the squares of the eight values from `first` into set `set`.
                    @inline(__always) func add(_ first: Int, into set: Int) {
                        let floats = raw.loadUnaligned(fromByteOffset: first * 4, as: SIMD8<Float>.self)
                        let doubles = SIMD8<Double>(floats)
                        let sum = sets.loadUnaligned(fromByteOffset: set * 64, as: SIMD8<Double>.self)
                            + doubles * doubles
                        sets.storeBytes(of: sum, toByteOffset: set * 64, as: SIMD8<Double>.self)
                    }
                    var index = rlhf_square_sums(kernel.rawValue, base, values.count, lanes.baseAddress!)
                    while index + 32 <= values.count {
                        for set in 0..<4 { add(index + 8 * set, into: set) }
                        index += 32
                    }
                    while index + 8 <= values.count {
                        add(index, into: 0)
                        index += 8
                    }
                    for index in index..<values.count { rest += Double(base[index]) * Double(base[index]) }
                }
            }
        }
        var total = rest
        for lane in 0..<8 { total += (lanes[lane] + lanes[8 + lane]) + (lanes[16 + lane] + lanes[24 + lane]) }
        return total
    }
}
