import Foundation
import Testing
import RLHFEngine

/// PortableMath against the platform's libm (through Foundation), which is correctly
/// rounded or within an ulp on every mainstream platform, so it serves as the reference.
@Suite("PortableMath")
struct PortableMathTests {
    // MARK: Grids

    /// Magnitudes from 1e-300 to 1e2, log-spaced, both signs.
    static let tinyToModerate: [Double] = stride(from: -300.0, through: 2.0, by: 0.37).flatMap {
        let magnitude = Foundation.pow(10, $0)
        return [magnitude, -magnitude]
    }

    /// Arguments of exp whose result is a normal Double: e^-708 ~ 3.3e-308 up to the
    /// documented cutoff 709.7 (results up to ~1.65e308).
    static let expGrid: [Double] = {
        var grid: [Double] = [0, 1, -1, 0.5, -0.5, 2, -2, 10, -10, 100, -100, 700, -700, 708, -708, 709, 709.5, 709.7]
        let halfLn2 = 0.346_573_590_279_972_65  // the edges of the range reduction
        grid += [halfLn2, -halfLn2, halfLn2.nextUp, halfLn2.nextDown, -halfLn2.nextUp, -halfLn2.nextDown]
        grid += stride(from: -708.0, through: 709.7, by: 0.0173)
        grid += stride(from: -3.0, through: 3.0, by: 0.000_37)
        grid += tinyToModerate
        return grid
    }()

    /// Positive arguments of log: subnormals, tiny, around 1, the whole [1/2, 2] octave
    /// (the reduced mantissa range), and huge.
    static let logGrid: [Double] = {
        var grid: [Double] = [1, 2, 0.5, 10, 0.1, 1e308, Double.leastNormalMagnitude / 1000]
        grid += [Double.leastNonzeroMagnitude, Double.leastNormalMagnitude, Double.greatestFiniteMagnitude]
        grid += [Double(2).squareRoot(), Double(0.5).squareRoot()]
        grid += stride(from: -323.0, through: 308.0, by: 0.0311).map { Foundation.pow(10, $0) }
        grid += stride(from: 0.5, through: 2.0, by: 0.000_01)
        for k in 1...200 {
            let offset = Double(k) * 1e-9
            grid.append(1 + offset)
            grid.append(1 - offset)
        }
        return grid
    }()

    static let tanhGrid: [Double] = {
        var grid: [Double] = [0, 1, -1, 1e-4, -1e-4, 1.0001e-4, 20, -20, 20.5, -20.5, 40, -40]
        grid += stride(from: -25.0, through: 25.0, by: 0.000_73)
        grid += tinyToModerate
        return grid
    }()

    /// Every 4099th Float bit pattern, both signs: about a million Floats spread over
    /// all binades (subnormal to huge), plus a dense grid in the interesting range.
    static let floatSweep: [Float] = {
        var values: [Float] = []
        for bits in stride(from: UInt32(0), to: 0x7F80_0000, by: 4099) {
            let value = Float(bitPattern: bits)
            values.append(value)
            values.append(-value)
        }
        values += stride(from: Float(-105), through: 90, by: 0.001)
        return values
    }()

    // MARK: Helpers

    static func relativeError(_ got: Double, _ expected: Double) -> Double {
        if got == expected { return 0 }
        if expected == 0 || !expected.isFinite || !got.isFinite { return .infinity }
        return Swift.abs(got - expected) / Swift.abs(expected)
    }

    /// The worst relative error over `grid`, and where it happened.
    static func worst(_ grid: [Double], _ portable: (Double) -> Double, _ reference: (Double) -> Double)
        -> (error: Double, at: Double) {
        var result = (error: 0.0, at: Double.nan)
        for x in grid {
            let error = relativeError(portable(x), reference(x))
            if error > result.error { result = (error, x) }
        }
        return result
    }

    /// Floats on which `portable` is more than one ulp from the correctly rounded reference.
    static func ulpFailures(_ grid: [Float], _ portable: (Float) -> Float, _ reference: (Double) -> Double)
        -> [(x: Float, got: Float, expected: Float)] {
        var failures: [(x: Float, got: Float, expected: Float)] = []
        for x in grid {
            let got = portable(x)
            let expected = Float(reference(Double(x)))
            let ok: Bool
            if expected.isNaN {
                ok = got.isNaN
            } else if expected.isInfinite || got.isInfinite {
                ok = got == expected
            } else {
                ok = Swift.abs(got - expected) <= expected.ulp
            }
            if !ok && failures.count < 10 { failures.append((x, got, expected)) }
        }
        return failures
    }

    // MARK: Double accuracy

    @Test("Double exp: relative error < 1e-12 against Foundation")
    func expDouble() {
        let (error, at) = Self.worst(Self.expGrid, PortableMath.exp, Foundation.exp)
        #expect(error < 1e-12, "worst relative error \(error) at x = \(at)")
    }

    /// The atanh series runs to s^15: at the ends of the reduced range (|s| -> 0.1716)
    /// one term fewer would leave ~1.3e-12 relative error, failing this bound.
    @Test("Double log: relative error < 1e-12 against Foundation, including near sqrt 2 and sqrt 1/2")
    func logDouble() {
        let (error, at) = Self.worst(Self.logGrid, PortableMath.log, Foundation.log)
        #expect(error < 1e-12, "worst relative error \(error) at x = \(at)")
    }

    /// exp stays finite up to ln(Double.greatestFiniteMagnitude) = 709.7827...
    @Test("Double exp: finite up to ln(greatestFiniteMagnitude), as Foundation",
          arguments: [709.71, 709.75, 709.78])
    func expNearOverflow(_ x: Double) {
        let got = PortableMath.exp(x)
        let expected = Foundation.exp(x)
        #expect(expected.isFinite)
        #expect(Self.relativeError(got, expected) < 1e-12, "exp(\(x)): got \(got), Foundation \(expected)")
    }

    /// tanh for |x| just above 1e-4 computes 1 - e^{-2|x|} with cancellation: a few
    /// Double ulps of e^{-2|x|} (~1e-16) divided by 2|x| (~2e-4) is ~1e-12 relative,
    /// so the bound is 1e-11 (still 10^4 times finer than a Float ulp).
    @Test("Double tanh: relative error < 1e-11 against Foundation")
    func tanhDouble() {
        let (error, at) = Self.worst(Self.tanhGrid, PortableMath.tanh, Foundation.tanh)
        #expect(error < 1e-11, "worst relative error \(error) at x = \(at)")
    }

    @Test("log(exp(x)) = x and exp(log(x)) = x")
    func roundTrips() {
        var failures: [String] = []
        for x in stride(from: -700.0, through: 700.0, by: 0.0731) + Self.tinyToModerate {
            let back = PortableMath.log(PortableMath.exp(x))
            if !(Swift.abs(back - x) <= 1e-12 * Swift.max(1, Swift.abs(x))) { failures.append("log(exp(\(x))) = \(back)") }
        }
        for x in stride(from: -300.0, through: 300.0, by: 0.0917).map({ Foundation.pow(10, $0) }) {
            let back = PortableMath.exp(PortableMath.log(x))
            if !(Self.relativeError(back, x) < 1e-12) { failures.append("exp(log(\(x))) = \(back)") }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(5))")
    }

    // MARK: Float accuracy

    @Test("Float exp within 1 ulp of Float(Foundation.exp)")
    func expFloat() {
        let failures = Self.ulpFailures(Self.floatSweep, PortableMath.exp, Foundation.exp)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("Float log within 1 ulp of Float(Foundation.log)")
    func logFloat() {
        let positives = Self.floatSweep.filter { $0 > 0 } + stride(from: Float(0.5), through: 2, by: 1e-5)
        let failures = Self.ulpFailures(positives, PortableMath.log, Foundation.log)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("Float tanh within 1 ulp of Float(Foundation.tanh)")
    func tanhFloat() {
        let failures = Self.ulpFailures(Self.floatSweep, PortableMath.tanh, Foundation.tanh)
        #expect(failures.isEmpty, "\(failures)")
    }

    // MARK: Edge cases

    @Test("exp edge cases")
    func expEdges() {
        #expect(PortableMath.exp(0.0) == 1)
        #expect(PortableMath.exp(710.0) == .infinity)
        #expect(PortableMath.exp(1000.0) == .infinity)
        #expect(PortableMath.exp(Double.infinity) == .infinity)
        #expect(PortableMath.exp(-1000.0) == 0)
        #expect(PortableMath.exp(-Double.infinity) == 0)
        #expect(PortableMath.exp(Double.nan).isNaN)
        #expect(PortableMath.exp(Float(0)) == 1)
        #expect(PortableMath.exp(Float(89)) == .infinity)
        #expect(PortableMath.exp(Float(100)) == .infinity)
        #expect(PortableMath.exp(Float.infinity) == .infinity)
        #expect(PortableMath.exp(-Float.infinity) == 0)
        #expect(PortableMath.exp(Float(-200)) == 0)
        #expect(PortableMath.exp(Float.nan).isNaN)
    }

    @Test("log edge cases")
    func logEdges() {
        #expect(PortableMath.log(1.0) == 0)
        #expect(PortableMath.log(0.0) == -.infinity)
        #expect(PortableMath.log(-0.0) == -.infinity)
        #expect(PortableMath.log(-1.0).isNaN)
        #expect(PortableMath.log(-1e-300).isNaN)
        #expect(PortableMath.log(-Double.infinity).isNaN)
        #expect(PortableMath.log(Double.infinity) == .infinity)
        #expect(PortableMath.log(Double.nan).isNaN)
        #expect(PortableMath.log(Float(1)) == 0)
        #expect(PortableMath.log(Float(0)) == -.infinity)
        #expect(PortableMath.log(Float(-2)).isNaN)
        #expect(PortableMath.log(Float.infinity) == .infinity)
        #expect(PortableMath.log(Float.nan).isNaN)
    }

    @Test("tanh edge cases")
    func tanhEdges() {
        #expect(PortableMath.tanh(0.0) == 0)
        #expect(PortableMath.tanh(Double.infinity) == 1)
        #expect(PortableMath.tanh(-Double.infinity) == -1)
        #expect(PortableMath.tanh(1000.0) == 1)
        #expect(PortableMath.tanh(-1000.0) == -1)
        #expect(PortableMath.tanh(Double.nan).isNaN)
        #expect(PortableMath.tanh(Float(30)) == 1)
        #expect(PortableMath.tanh(Float(-30)) == -1)
        // Odd symmetry holds exactly.
        let asymmetric = stride(from: 0.0, through: 25.0, by: 0.0137).filter { PortableMath.tanh(-$0) != -PortableMath.tanh($0) }
        #expect(asymmetric.isEmpty, "tanh(-x) != -tanh(x) at \(asymmetric.prefix(5))")
    }
}
