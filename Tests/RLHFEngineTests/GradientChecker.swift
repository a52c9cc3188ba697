import Testing
import RLHFEngine

// MARK: - Deterministic random numbers

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fully deterministic generator so
/// that every gradient check sees the same inputs and weights on every machine and
/// every run. The system RNG is never used by these tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 random bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [low, high).
    mutating func float(_ low: Float, _ high: Float) -> Float {
        low + Float(unit()) * (high - low)
    }

    /// `count` values uniform in [low, high).
    mutating func floats(_ count: Int, _ low: Float, _ high: Float) -> [Float] {
        (0..<count).map { _ in float(low, high) }
    }

    /// `count` values whose magnitude is uniform in [low, high) and whose sign is random:
    /// bounded away from zero (for denominators, kinks of |x|, and so on).
    mutating func signedFloats(_ count: Int, magnitude low: Float, _ high: Float) -> [Float] {
        (0..<count).map { _ in
            let magnitude = float(low, high)
            return next() & 1 == 0 ? magnitude : -magnitude
        }
    }

    /// A leaf tensor of the given shape, values uniform in [low, high), that requires a gradient.
    mutating func tensor(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
        Tensor(shape: shape, data: floats(shape.reduce(1, *), low, high), requiresGrad: true)
    }
}

// MARK: - The checker

/// Analytic gradients (from `backward()`) compared with central finite differences.
///
/// The loss is `L = sum(op(inputs) * W)` with `W` a fixed random tensor of the output's
/// shape whose entries have magnitude in [0.5, 1.5) and a random sign. So dL/d(output)
/// is `W`: every output position matters, each with its own coefficient, and a
/// gradient routed to the wrong position, with the wrong sign or missing a term shows.
///
/// The numeric side perturbs one input value at a time by +-h (in `Float`, as the op
/// sees it), reruns the op without recording a graph, forms `L` in `Double` from the
/// op's `Float` output and divides by the exact distance between the two perturbed
/// `Float` values.
///
/// Acceptance, per element: |analytic - numeric| <= tolerance * max(1, |numeric|),
/// with h = 1e-2 and tolerance = 2e-3.
///
/// Noise budget: the central difference has truncation error h^2/6 * f''' ~ 1.7e-5 * f''',
/// and the Float rounding of the op's output (~6e-8 relative per value, <= ~100 values)
/// adds ~1e-6 / (2h) ~ 5e-5. The worst case measured in this suite is ~1.1e-4 (x / y
/// with |y| near 0.5 and log x with x near 0.3, where f''' is largest), about 0.055 of
/// the allowance: an 18x margin, the same in debug and release (no fast-math).
///
/// What it catches: a wrong sign is off by 2|g|, a factor of 2 (or one of two equal
/// terms dropped) by |g|, a factor of 1/2 by |g|/2, so any element with |g| >= 4e-3
/// fails; the random weights make typical gradients 0.1..3. To rule out vacuous passes,
/// every check also demands that each input's numeric gradient has some element of
/// magnitude >= `minimumSignal` (0.05, 25x the absolute allowance). The mutation tests
/// in GradientCheckerTests.swift show the checker rejecting doubled, halved, negated and
/// misplaced gradients, layerNorm without its -mean term, softmax without its -dot term,
/// an unsummed broadcast gradient and a graph missing a product-rule term.
enum GradientCheck {
    static let step: Float = 1e-2
    static let tolerance: Double = 2e-3
    static let minimumSignal: Double = 5e-2
}

/// One element whose analytic and numeric gradients disagree.
struct GradientMismatch: CustomStringConvertible {
    let input: Int
    let index: Int
    let analytic: Double
    let numeric: Double

    var description: String {
        "input \(input)[\(index)]: analytic \(analytic), numeric \(numeric)"
    }
}

/// The outcome of one comparison.
struct GradientReport: CustomStringConvertible {
    /// Per input, the gradient `backward()` produced (zeros when it left `grad` nil).
    let analytic: [[Double]]
    /// Per input, the central-difference estimate.
    let numeric: [[Double]]
    /// dL/d(output): the random weights of the loss.
    let outputWeights: [Double]
    let tolerance: Double
    let mismatches: [GradientMismatch]
    /// max over elements of |analytic - numeric| / (tolerance * max(1, |numeric|)); < 1 passes.
    let worstRatio: Double

    var passed: Bool { mismatches.isEmpty }

    /// Per input, the largest |numeric| (to reject vacuous checks).
    var largestNumeric: [Double] { numeric.map { $0.map(Swift.abs).max() ?? 0 } }

    var description: String {
        let shown = mismatches.prefix(6).map { "  " + $0.description }.joined(separator: "\n")
        let more = mismatches.count > 6 ? "\n  ... and \(mismatches.count - 6) more" : ""
        return "\(mismatches.count) mismatching gradient element(s), worst ratio \(worstRatio)"
            + (mismatches.isEmpty ? "" : ":\n" + shown + more)
    }

    /// The same numeric side against a different ("mutated") analytic gradient.
    func replacingAnalytic(_ transform: (_ input: Int, _ gradient: [Double]) -> [Double]) -> GradientReport {
        let mutated = analytic.enumerated().map { transform($0.offset, $0.element) }
        return GradientChecker.compare(analytic: mutated, numeric: numeric,
                                       outputWeights: outputWeights, tolerance: tolerance)
    }
}

enum GradientChecker {
    /// Runs the analytic and numeric sides for `op` applied to `inputs` (leaf tensors
    /// with `requiresGrad: true`) and compares them.
    static func check(
        _ inputs: [Tensor],
        seed: UInt64 = 0x5EED,
        step: Float = GradientCheck.step,
        tolerance: Double = GradientCheck.tolerance,
        _ op: ([Tensor]) -> Tensor
    ) -> GradientReport {
        for input in inputs {
            precondition(input.requiresGrad, "gradient check inputs must require a gradient")
            input.zeroGrad()
        }
        // Analytic side.
        let output = op(inputs)
        var random = SplitMix64(seed: seed)
        let weights = random.signedFloats(output.count, magnitude: 0.5, 1.5)
        let loss = (output * Tensor(shape: output.shape, data: weights)).sum()
        loss.backward()
        let analytic = inputs.map { input in
            (input.grad ?? [Float](repeating: 0, count: input.count)).map(Double.init)
        }

        // Numeric side.
        let weightsDouble = weights.map(Double.init)
        func lossValue() -> Double {
            let values = GradientMode.withoutRecording { op(inputs).data }
            precondition(values.count == weightsDouble.count, "op output changed size")
            var total = 0.0
            for index in values.indices { total += Double(values[index]) * weightsDouble[index] }
            return total
        }
        var numeric: [[Double]] = []
        for input in inputs {
            var estimates = [Double](repeating: 0, count: input.count)
            for index in 0..<input.count {
                let original = input.data[index]
                let plus = original + step
                let minus = original - step
                input.data[index] = plus
                let lossPlus = lossValue()
                input.data[index] = minus
                let lossMinus = lossValue()
                input.data[index] = original
                estimates[index] = (lossPlus - lossMinus) / (Double(plus) - Double(minus))
            }
            numeric.append(estimates)
        }
        return compare(analytic: analytic, numeric: numeric, outputWeights: weightsDouble, tolerance: tolerance)
    }

    /// Element-by-element comparison: |a - n| <= tolerance * max(1, |n|).
    static func compare(
        analytic: [[Double]], numeric: [[Double]], outputWeights: [Double] = [],
        tolerance: Double = GradientCheck.tolerance
    ) -> GradientReport {
        precondition(analytic.count == numeric.count, "different numbers of inputs")
        var mismatches: [GradientMismatch] = []
        var worst = 0.0
        for input in analytic.indices {
            precondition(analytic[input].count == numeric[input].count, "different gradient sizes")
            for index in analytic[input].indices {
                let (a, n) = (analytic[input][index], numeric[input][index])
                let allowed = tolerance * Swift.max(1, Swift.abs(n))
                let ratio = a.isFinite && n.isFinite ? Swift.abs(a - n) / allowed : .infinity
                worst = Swift.max(worst, ratio)
                if !(ratio <= 1) {
                    mismatches.append(GradientMismatch(input: input, index: index, analytic: a, numeric: n))
                }
            }
        }
        return GradientReport(analytic: analytic, numeric: numeric, outputWeights: outputWeights,
                              tolerance: tolerance, mismatches: mismatches, worstRatio: worst)
    }
}

// MARK: - Test-side helper

/// Checks `op`'s gradient for every input and records a test failure (at the caller's
/// line) on any mismatch or when an input's numeric gradient is all but zero.
@discardableResult
func expectGradientsMatch(
    _ inputs: [Tensor],
    seed: UInt64 = 0x5EED,
    step: Float = GradientCheck.step,
    tolerance: Double = GradientCheck.tolerance,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ op: ([Tensor]) -> Tensor
) -> GradientReport {
    let report = GradientChecker.check(inputs, seed: seed, step: step, tolerance: tolerance, op)
    #expect(report.passed, "\(report)", sourceLocation: sourceLocation)
    for (input, largest) in report.largestNumeric.enumerated() {
        #expect(largest >= GradientCheck.minimumSignal,
                "input \(input): numeric gradient is nearly zero everywhere (max \(largest)); the check would be vacuous",
                sourceLocation: sourceLocation)
    }
    return report
}
