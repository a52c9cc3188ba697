import RLHFEngine

/// Gao, Schulman and Hilton's (2022) functional forms for the gold reward gained over the
/// initial model, against d = sqrt(KL(policy || initial)):
/// best-of-n R(d) = d (alpha - beta d); RL R(d) = d (alpha - beta log d).
public struct OveroptimisationFit: Sendable, Equatable {
    public enum Form: String, Sendable {
        case bestOfN = "best-of-n"
        case reinforcementLearning = "RL"
    }

    public let form: Form
    public let alpha: Double
    public let beta: Double

    public init(form: Form, alpha: Double, beta: Double) {
        self.form = form
        self.alpha = alpha
        self.beta = beta
    }

    /// R(d) = d (alpha - beta h(d)); 0 at d = 0 for RL, where d log d is 0 (its limit).
    public func value(at d: Double) -> Double {
        guard let h = Self.penaltyFactor(form, d) else { return 0 }
        return d * (alpha - beta * h)
    }

    /// h(d), the factor beta multiplies in R(d) = d (alpha - beta h(d)): d for best-of-n, log d for RL
    /// (nil for RL at d <= 0).
    static func penaltyFactor(_ form: Form, _ d: Double) -> Double? {
        switch form {
        case .bestOfN: return d
        case .reinforcementLearning: return d > 0 ? PortableMath.log(d) : nil
        }
    }

    /// The peak d*, where dR/dd = 0, or nil when R has no maximum (beta <= 0: still rising).
    /// Best-of-n: alpha - 2 beta d = 0, d* = alpha / (2 beta). RL: alpha - beta (log d + 1) = 0,
    /// d* = exp(alpha / beta - 1).
    public var peak: Double? {
        guard beta > 0 else { return nil }
        switch form {
        case .bestOfN: return alpha > 0 ? alpha / (2 * beta) : nil
        case .reinforcementLearning: return PortableMath.exp(alpha / beta - 1)
        }
    }

    /// Least squares of R(d) = alpha f(d) - beta g(d) through the points, with f(d) = d and
    /// g(d) = d h(d): d^2 (best-of-n) or d log d (RL, 0 at d = 0), in closed form: the 2x2 normal equations
    /// [S_ff, -S_fg; -S_fg, S_gg] (alpha, beta) = (S_fR, -S_gR), S_xy = sum_i x_i y_i, solved by
    /// Cramer's rule. Nil with fewer than two points or when the features are collinear.
    public static func fit(_ form: Form, points: [(d: Double, gain: Double)]) -> OveroptimisationFit? {
        var (sff, sfg, sgg, sfr, sgr) = (0.0, 0.0, 0.0, 0.0, 0.0)
        for point in points {
            let f = point.d
            let g = penaltyFactor(form, point.d).map { point.d * $0 } ?? 0
            sff += f * f
            sfg += f * g
            sgg += g * g
            sfr += f * point.gain
            sgr += g * point.gain
        }
        // With x = (alpha, -beta): [sff sfg; sfg sgg] x = (sfr, sgr).
        let determinant = sff * sgg - sfg * sfg
        guard points.count >= 2, determinant > 1e-12 * max(sff * sgg, 1e-300) else { return nil }
        let alpha = (sfr * sgg - sfg * sgr) / determinant
        let minusBeta = (sff * sgr - sfg * sfr) / determinant
        return OveroptimisationFit(form: form, alpha: alpha, beta: -minusBeta)
    }
}
