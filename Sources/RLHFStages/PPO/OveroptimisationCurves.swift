import RLHFEngine

/// Gao, Schulman and Hilton's (2022) over-optimisation curves on this world: best-of-n for
/// several n and PPO at several betas, all from the SFT model, each recorded as
/// (d = sqrt(KL to SFT), proxy score, gold score) on the held-out prompts, and each fitted.
///
/// Nothing of a caller's models changes: every PPO run trains its own copy of the SFT model
/// (with a fresh value head and Adam) and the random streams are made here from `seed`.
public enum OveroptimisationCurves {
    /// What to run. Every PPO run takes `iterations` iterations under `config` with kl_coef
    /// set to one of `betas` (fixed: no adaptive controller) and is evaluated at iteration 0 and
    /// every `evaluationInterval` iterations on `samplesPerPrompt` samples of each held-out prompt.
    public struct Plan: Sendable {
        public var ns: [Int] = [1, 2, 4, 8, 16, 32, 64]
        public var betas: [Double] = [0, 0.1]
        public var iterations = 40
        public var evaluationInterval = 5
        public var samplesPerPrompt = 16
        /// Best-of-n's pool and reference sample per prompt (see `BestOfN.run`), at least the largest n.
        public var poolSize = 256
        public var referenceSize = 256

        public init() {}
    }

    /// One point of a curve: where a run stood after `step` (n for best-of-n, the iteration for PPO).
    public struct Point: Sendable, Equatable {
        public let step: Int
        public let kl: Double
        public let proxyScore: Double
        public let goldScore: Double
        /// d = sqrt(KL), with a negative KL estimate taken as 0.
        public var d: Double { kl > 0 ? kl.squareRoot() : 0 }
    }

    /// A curve: best-of-n (beta nil) or one PPO run, its points in order and the fit of its gold gain.
    public struct Series: Sendable, Equatable {
        public let beta: Double?
        public internal(set) var points: [Point] { didSet { fit = Self.fitted(form, points) } }
        public var form: OveroptimisationFit.Form { beta == nil ? .bestOfN : .reinforcementLearning }
        /// Gao et al.'s form fitted to (d, gold - gold at the first point), or nil with fewer than 3 points;
        /// fitted when the points change.
        public private(set) var fit: OveroptimisationFit?

        init(beta: Double?, points: [Point] = []) {
            self.beta = beta
            self.points = points
            fit = Self.fitted(beta == nil ? .bestOfN : .reinforcementLearning, points)
        }

        private static func fitted(_ form: OveroptimisationFit.Form, _ points: [Point]) -> OveroptimisationFit? {
            guard points.count >= 3, let base = points.first?.goldScore else { return nil }
            return OveroptimisationFit.fit(form, points: points.map { ($0.d, $0.goldScore - base) })
        }
    }

    /// What a run reports: its phase and the share of the whole run done.
    public struct Progress: Sendable {
        public let phase: String
        public let fractionDone: Double
    }

    /// The curves measured, best-of-n first; `stoppedEarly` when the callback stopped the run.
    public struct Result: Sendable {
        public internal(set) var series: [Series] = []
        public internal(set) var stoppedEarly = false
    }

    /// Runs `plan`; see the type's documentation. `progress` hears after best-of-n's sampling
    /// and after every PPO optimiser step, and may stop the run there (what was measured is kept).
    public static func run(sft: GPT2, rewardModel: RewardModel, annotator: Annotator?, tokenizer: Tokenizer,
                           config: PPOConfig, trainingPrompts: [[Int]], heldOutPrompts: [[Int]], plan: Plan,
                           seed: UInt64, progress: (Progress) -> TrainingControl) -> Result {
        var result = Result()
        let work = Double(1 + plan.betas.count * max(plan.iterations, 1))
        func fresh() -> ActorCritic {
            var headRandom = RandomGenerator(seed: seed ^ 0x5eed)
            return ActorCritic(initialisedFrom: sft, random: &headRandom)
        }
        var settings = config
        settings.adaptiveKLTarget = nil
        let sftCollector = RolloutCollector(policy: fresh(), reference: sft, rewardModel: rewardModel,
                                            annotator: annotator, tokenizer: tokenizer, config: settings)
        var bestOfRandom = RandomGenerator(seed: seed ^ 0xb0f)
        let measured = BestOfN.run(collector: sftCollector, prompts: heldOutPrompts, ns: plan.ns,
                                   poolSize: plan.poolSize, referenceSize: plan.referenceSize, random: &bestOfRandom)
        result.series.append(Series(beta: nil, points: measured.map {
            Point(step: $0.n, kl: $0.kl, proxyScore: $0.proxyScore, goldScore: $0.goldScore)
        }))
        if progress(Progress(phase: "best-of-n", fractionDone: 1 / work)) == .stop {
            result.stoppedEarly = true
            return result
        }
        for (index, beta) in plan.betas.enumerated() {
            settings.klCoef = beta
            let trainer = PPOTrainer(policy: fresh(), reference: sft, rewardModel: rewardModel, annotator: annotator,
                                     tokenizer: tokenizer, config: settings)
            var series = Series(beta: beta)
            func evaluate(_ iteration: Int) {
                let held = HeldOutEvaluation.run(collector: trainer.collector, prompts: heldOutPrompts,
                                                 perPrompt: plan.samplesPerPrompt, seed: HeldOutEvaluation.standardSeed)
                series.points.append(Point(step: iteration, kl: held.kl, proxyScore: held.rewardModelScore,
                                           goldScore: held.goldScore ?? .nan))
            }
            evaluate(0)
            // The same training stream for every beta, so the runs differ by beta alone.
            var random = RandomGenerator(seed: seed)
            var done = 0
            while done < plan.iterations {
                let chunk = min(plan.evaluationInterval, plan.iterations - done)
                let run = PPOTraining.run(trainer: trainer, iterations: chunk, promptPool: trainingPrompts,
                                          random: &random) { event in
                    let finished = Double(index * plan.iterations + done) + event.fractionDone * Double(chunk)
                    return progress(Progress(phase: "ppo beta \(beta) iteration \(done + event.iteration)",
                                             fractionDone: (1 + finished) / work))
                }
                done += run.iterations.count
                if run.stopRequested || run.failure != nil {
                    if run.iterations.count > 0 { evaluate(done) }
                    result.series.append(series)
                    result.stoppedEarly = true
                    return result
                }
                evaluate(done)
            }
            result.series.append(series)
        }
        return result
    }
}
