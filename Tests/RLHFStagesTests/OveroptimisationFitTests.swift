import Foundation
import Testing
import RLHFStages

/// Gao et al.'s forms fitted in closed form to synthetic data.
@Suite("Over-optimisation fits")
struct OveroptimisationFitTests {
    @Test("best-of-n: exact data gives back alpha and beta, and the peak alpha / (2 beta)")
    func bestOfN() throws {
        let points = stride(from: 0.0, through: 2.5, by: 0.25).map { (d: $0, gain: $0 * (2.0 - 0.7 * $0)) }
        let fit = try #require(OveroptimisationFit.fit(.bestOfN, points: points))
        #expect(abs(fit.alpha - 2) < 1e-9 && abs(fit.beta - 0.7) < 1e-9, "\(fit)")
        #expect(abs(fit.peak! - 2 / 1.4) < 1e-9)
    }

    @Test("RL: exact data gives back alpha and beta; at d* = exp(alpha / beta - 1) the slope is 0")
    func reinforcementLearning() throws {
        let points = stride(from: 0.0, through: 3.0, by: 0.2).map {
            (d: $0, gain: $0 > 0 ? $0 * (1.5 - 0.9 * log($0)) : 0)
        }
        let fit = try #require(OveroptimisationFit.fit(.reinforcementLearning, points: points))
        #expect(abs(fit.alpha - 1.5) < 1e-9 && abs(fit.beta - 0.9) < 1e-9, "\(fit)")
        let peak = try #require(fit.peak)
        #expect(abs(peak - exp(1.5 / 0.9 - 1)) < 1e-9)
        let slope = (fit.value(at: peak + 1e-5) - fit.value(at: peak - 1e-5)) / 2e-5
        #expect(abs(slope) < 1e-6, "slope at d* \(slope)")
    }

    @Test("noisy data: the fit is the least-squares one (the residuals are orthogonal to both features)")
    func leastSquares() throws {
        let noise = [0.05, -0.03, 0.02, -0.04, 0.01, 0.03, -0.02, 0.04, -0.05]
        let points = noise.enumerated().map { index, e in
            let d = 0.2 * Double(index + 1)
            return (d: d, gain: d * (1.2 - 0.5 * d) + e)
        }
        let fit = try #require(OveroptimisationFit.fit(.bestOfN, points: points))
        let residuals = points.map { $0.gain - fit.value(at: $0.d) }
        let alongD = zip(points, residuals).reduce(0) { $0 + $1.0.d * $1.1 }
        let alongD2 = zip(points, residuals).reduce(0) { $0 + $1.0.d * $1.0.d * $1.1 }
        #expect(abs(alongD) < 1e-12 && abs(alongD2) < 1e-12)
        #expect(abs(fit.alpha - 1.2) < 0.1 && abs(fit.beta - 0.5) < 0.1)
    }

    @Test("no peak when the gain keeps rising; no fit from one point")
    func degenerate() {
        #expect(OveroptimisationFit(form: .bestOfN, alpha: 1, beta: -0.2).peak == nil)
        #expect(OveroptimisationFit(form: .reinforcementLearning, alpha: 1, beta: 0).peak == nil)
        #expect(OveroptimisationFit.fit(.bestOfN, points: [(1, 1)]) == nil)
        #expect(OveroptimisationFit.fit(.reinforcementLearning, points: [(0, 0), (0, 0)]) == nil)
    }
}
