import Foundation
import Testing
import RLHFEngine
import RLHFStages

/// Best-of-n's estimators against hand-computed cases.
@Suite("Best-of-n")
struct BestOfNTests {
    /// Rewards 1, 2, 3 with probabilities 0.5, 0.3, 0.2; best of 2 keeps the larger of two draws.
    /// F = 0.5, 0.8, 1; G = 0, 0.5, 0.8; P_bon = F^2 - G^2 = 0.25, 0.39, 0.36; the ratios P_bon / P are
    /// 0.5, 1.3, 1.8, so KL = 0.25 ln 0.5 + 0.39 ln 1.3 + 0.36 ln 1.8 = 0.1406385...
    static let exactKL = 0.25 * log(0.5) + 0.39 * log(1.3) + 0.36 * log(1.8)

    @Test("the density ratio on the hand case gives the exact KL, below the bound log 2 - 1/2")
    func handCaseExact() {
        let cases: [(F: Double, G: Double, bon: Double, ratio: Double)] = [
            (0.5, 0, 0.25, 0.5), (0.8, 0.5, 0.39, 1.3), (1, 0.8, 0.36, 1.8)]
        var kl = 0.0
        for entry in cases {
            let logRatio = BestOfN.logDensityRatio(atOrBelow: entry.F, below: entry.G, n: 2)
            #expect(abs(logRatio - log(entry.ratio)) < 1e-12, "ratio at F \(entry.F): \(exp(logRatio))")
            kl += entry.bon * logRatio
        }
        #expect(abs(kl - Self.exactKL) < 1e-12)
        #expect(abs(Self.exactKL - 0.1406385) < 1e-7)
        #expect(kl < BestOfN.klBound(n: 2))
    }

    @Test("the empirical CDF counts ties exactly, and counts an unseen reward as one more draw")
    func empiricalCDF() {
        let reference = [1.0, 1, 1, 1, 1, 2, 2, 2, 3, 3]
        let cases: [(reward: Double, atOrBelow: Double, below: Double)] = [
            (1, 0.5, 0), (2, 0.8, 0.5), (3, 1, 0.8), (4, 1, 10.0 / 11), (0, 1.0 / 11, 0)]
        for entry in cases {
            let cdf = BestOfN.empiricalCDF(reference, at: entry.reward)
            #expect(cdf.atOrBelow == entry.atOrBelow && cdf.below == entry.below, "at \(entry.reward): \(cdf)")
        }
    }

    @Test("order weights: C(i-1, n-1) / C(m, n), summing to 1")
    func orderWeights() {
        let weights = BestOfN.orderWeights(poolSize: 4, n: 2)
        let expected: [Double] = [0, 1.0 / 6, 2.0 / 6, 3.0 / 6]
        for (weight, wanted) in zip(weights, expected) {
            let difference = abs(weight - wanted)
            #expect(difference < 1e-15)
        }
        #expect(BestOfN.orderWeights(poolSize: 5, n: 5) == [0, 0, 0, 0, 1])
        let total = BestOfN.orderWeights(poolSize: 256, n: 64).reduce(0, +)
        #expect(abs(total - 1) < 1e-12)
        let third: Double = 1.0 / 3
        #expect(BestOfN.orderWeights(poolSize: 3, n: 1) == [third, third, third])
    }

    @Test("measure on a pool and reference in the hand case's proportions comes near the exact KL")
    func measureHandCase() {
        // 1000 draws in exact proportion; best-of-2 without replacement from them is within 1e-3 of with.
        let values = [Double](repeating: 1, count: 500) + [Double](repeating: 2, count: 300)
            + [Double](repeating: 3, count: 200)
        let pool = values.map { (proxy: $0, gold: -$0) }
        let result = BestOfN.measure(pools: [pool], references: [values], n: 2)
        #expect(abs(result.kl - Self.exactKL) < 1e-3, "\(result.kl) vs \(Self.exactKL)")
        // E[max] with replacement: 0.25 + 0.78 + 1.08 = 2.11.
        #expect(abs(result.proxyScore - 2.11) < 1e-3 && abs(result.goldScore + 2.11) < 1e-3)
        #expect(BestOfN.measure(pools: [pool], references: [values], n: 1).kl == 0)
    }

    @Test("run on a policy: n = 1 gives the pools' mean proxy and gold, n = pool size their best; collect's draws")
    func runOnPolicy() {
        let world = TinyWorld(seed: 5)
        let collector = world.trainer.collector
        let prompts = Array(world.prompts.prefix(2))
        var random = RandomGenerator(seed: 11)
        let results = BestOfN.run(collector: collector, prompts: prompts, ns: [1, 8], poolSize: 8, referenceSize: 8,
                                  random: &random)
        // The same draws through `collect`, whose rollouts also carry the policy, reference and critic passes.
        var again = RandomGenerator(seed: 11)
        var (meanProxy, meanGold, bestProxy, bestGold) = (0.0, 0.0, 0.0, 0.0)
        for prompt in prompts {
            let pool = collector.collect(prompts: Array(repeating: prompt, count: 8), random: &again)
            _ = collector.collect(prompts: Array(repeating: prompt, count: 8), random: &again)
            meanProxy += pool.map(\.rewardModelScore).reduce(0, +) / 8
            meanGold += pool.map { $0.goldScore ?? .nan }.reduce(0, +) / 8
            // The best by the reward model, the last drawn among ties (as the pool's sort by proxy, then draw).
            let best = pool.enumerated().max {
                ($0.element.rewardModelScore, $0.offset) < ($1.element.rewardModelScore, $1.offset)
            }!
            bestProxy += best.element.rewardModelScore
            bestGold += best.element.goldScore ?? .nan
        }
        #expect(results.map(\.n) == [1, 8])
        #expect(abs(results[0].proxyScore - meanProxy / 2) < 1e-12 && abs(results[0].goldScore - meanGold / 2) < 1e-12,
                "\(results[0]) vs \(meanProxy / 2), \(meanGold / 2)")
        #expect(results[0].kl == 0 && results[0].klBound == 0)
        #expect(abs(results[1].proxyScore - bestProxy / 2) < 1e-12 && abs(results[1].goldScore - bestGold / 2) < 1e-12,
                "\(results[1])")
        #expect(results[1].proxyScore > results[0].proxyScore)
    }

    @Test("the analytic bound, and distinct rewards reaching it")
    func bound() {
        #expect(BestOfN.klBound(n: 1) == 0)
        #expect(abs(BestOfN.klBound(n: 2) - (log(2) - 0.5)) < 1e-12)
        #expect(abs(BestOfN.klBound(n: 64) - (log(64) - 63.0 / 64)) < 1e-12)
        // 2000 distinct, equally likely rewards: the exact KL of best-of-4 is just below log 4 - 3/4.
        let k = 2000
        var kl = 0.0
        for i in 1...k {
            let (F, G) = (Double(i) / Double(k), Double(i - 1) / Double(k))
            let bon = pow(F, 4) - pow(G, 4)
            kl += bon * BestOfN.logDensityRatio(atOrBelow: F, below: G, n: 4)
        }
        #expect(kl < BestOfN.klBound(n: 4) && BestOfN.klBound(n: 4) - kl < 5e-3, "\(kl)")
    }
}
