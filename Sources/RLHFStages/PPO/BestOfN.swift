import RLHFEngine

/// Best-of-n sampling: draw n responses from a policy, keep the one the reward model scores
/// highest. Its proxy (reward-model) score, gold score and KL to the policy it samples from
/// are measured here, beside the analytic bound KL <= log n - (n - 1) / n (Stiennon et al.;
/// Gao, Schulman and Hilton 2022).
public enum BestOfN {
    /// What best-of-n does on some prompts, as expectations over the draws of n samples.
    public struct Measurement: Sendable, Equatable {
        public let n: Int
        /// E[reward-model score of the kept response].
        public let proxyScore: Double
        /// E[annotator's gold score of the kept response].
        public let goldScore: Double
        /// The estimate of KL(best-of-n || policy); see `klEstimate`.
        public let kl: Double
        /// log n - (n - 1) / n.
        public var klBound: Double { BestOfN.klBound(n: n) }
    }

    /// The analytic KL of best-of-n for continuous rewards, log n - (n - 1) / n: an upper bound
    /// when rewards tie (Beirami et al. 2024).
    public static func klBound(n: Int) -> Double {
        precondition(n >= 1, "best-of-n needs n >= 1, not \(n)")
        return PortableMath.log(Double(n)) - Double(n - 1) / Double(n)
    }

    /// The weights of the order statistics of a pool of `poolSize` samples, smallest first, that
    /// turn it into best-of-n expectations: w_i = C(i - 1, n - 1) / C(m, n), the share of the
    /// C(m, n) subsets of n samples whose best is the i-th smallest (the unbiased best-of-n
    /// estimator of Nakano et al. 2021). They sum to 1; w_m = n / m, and going down
    /// w_(i-1) = w_i (i - n) / (i - 1), so w_i = 0 for i < n. With m = n only the best counts.
    public static func orderWeights(poolSize m: Int, n: Int) -> [Double] {
        precondition(n >= 1 && m >= n, "best-of-\(n) needs a pool of at least \(n) samples, not \(m)")
        var weights = [Double](repeating: 0, count: m)
        weights[m - 1] = Double(n) / Double(m)
        var i = m
        while i > n {
            weights[i - 2] = weights[i - 1] * Double(i - n) / Double(i - 1)
            i -= 1
        }
        return weights
    }

    /// log p_bon(y) / p(y) for a response whose reward r has F = P(R <= r) and G = P(R < r) under
    /// the policy. The best of n lands on the reward value r with probability F^n - G^n, shared
    /// among the responses with that reward in proportion to p(y), so the ratio is
    /// (F^n - G^n) / (F - G) = sum_(k=0)^(n-1) F^k G^(n-1-k), the sum written out so that an atom
    /// of zero width (F = G) gives the continuous limit n F^(n-1) with no division.
    public static func logDensityRatio(atOrBelow F: Double, below G: Double, n: Int) -> Double {
        var sum = 0.0
        var powerF = 1.0
        for k in 0..<n {
            var powerG = 1.0
            for _ in 0..<(n - 1 - k) { powerG *= G }
            sum += powerF * powerG
            powerF *= F
        }
        return PortableMath.log(sum)
    }

    /// F_hat and G_hat of `reward` from an independent sample of the policy's rewards, sorted
    /// ascending: the shares of the sample at or below it and below it (ties: exact equality). A
    /// reward the sample never hit is counted with the sample, as one more draw of its own
    /// ((below + 1) / (M + 1) and below / (M + 1)), so F_hat is never 0 and the log stays finite.
    public static func empiricalCDF(_ sortedReference: [Double],
                                    at reward: Double) -> (atOrBelow: Double, below: Double) {
        let below = sortedReference.prefix { $0 < reward }.count
        let atOrBelow = below + sortedReference.dropFirst(below).prefix { $0 == reward }.count
        let size = Double(sortedReference.count)
        if atOrBelow > below { return (Double(atOrBelow) / size, Double(below) / size) }
        return (Double(below + 1) / (size + 1), Double(below) / (size + 1))
    }

    /// Best-of-n expectations over prompts, each with a pool of (proxy, gold) samples and an
    /// independent reference sample of proxy scores.
    ///
    /// Per prompt, with the pool sorted by proxy (ties in draw order) and w_i the order weights:
    /// proxy = sum_i w_i proxy_(i), gold = sum_i w_i gold_(i), and the KL estimate
    /// sum_i w_i log((F^n - G^n) / (F - G)) at proxy_(i), F and G from `empiricalCDF` of the
    /// reference (for continuous rewards this is log n + (n - 1) log F_hat). Means over prompts.
    public static func measure(pools: [[(proxy: Double, gold: Double)]], references: [[Double]],
                               n: Int) -> Measurement {
        Samples(pools: pools, references: references).measure(n: n)
    }

    /// The pools of some prompts sorted by proxy (ties in draw order), each sample with F and G of its
    /// proxy in the prompt's reference sample: what `measure` needs for any n, prepared once.
    public struct Samples {
        private let pools: [[(proxy: Double, gold: Double, atOrBelow: Double, below: Double)]]

        public init(pools: [[(proxy: Double, gold: Double)]], references: [[Double]]) {
            precondition(pools.count == references.count && !pools.isEmpty,
                         "one pool and one reference sample per prompt")
            self.pools = zip(pools, references).map { pool, reference in
                let sortedReference = reference.sorted()
                return pool.enumerated().sorted { ($0.element.proxy, $0.offset) < ($1.element.proxy, $1.offset) }
                    .map { entry in
                        let cdf = empiricalCDF(sortedReference, at: entry.element.proxy)
                        return (entry.element.proxy, entry.element.gold, cdf.atOrBelow, cdf.below)
                    }
            }
        }

        /// Best-of-n's expectations over the prompts (`BestOfN.measure`).
        public func measure(n: Int) -> Measurement {
            var (proxy, gold, kl) = (0.0, 0.0, 0.0)
            for pool in pools {
                for (weight, sample) in zip(orderWeights(poolSize: pool.count, n: n), pool) where weight > 0 {
                    proxy += weight * sample.proxy
                    gold += weight * sample.gold
                    kl += weight * logDensityRatio(atOrBelow: sample.atOrBelow, below: sample.below, n: n)
                }
            }
            let prompts = Double(pools.count)
            return Measurement(n: n, proxyScore: proxy / prompts, goldScore: gold / prompts, kl: kl / prompts)
        }
    }

    /// Samples, per prompt, a pool of `poolSize` responses and an independent reference sample of
    /// `referenceSize` from `collector`'s policy (the reward model scores them, the annotator gives
    /// gold; no other pass runs), then measures best-of-n for every n in `ns` (each at most `poolSize`).
    public static func run(collector: RolloutCollector, prompts: [[Int]], ns: [Int], poolSize: Int,
                           referenceSize: Int, random: inout RandomGenerator) -> [Measurement] {
        var pools: [[(proxy: Double, gold: Double)]] = []
        var references: [[Double]] = []
        func judged(_ prompt: [Int], _ count: Int) -> [(rewardModelScore: Double, goldScore: Double?)] {
            let prompts = Array(repeating: prompt, count: count)
            return collector.judge(prompts: prompts, responses: collector.sample(prompts: prompts, random: &random))
        }
        for prompt in prompts {
            pools.append(judged(prompt, poolSize).map { ($0.rewardModelScore, $0.goldScore ?? .nan) })
            references.append(judged(prompt, referenceSize).map(\.rewardModelScore))
        }
        let samples = Samples(pools: pools, references: references)
        return ns.map(samples.measure)
    }
}
