import RLHFEngine

/// An online algorithm whose baseline is a group of completions of the same prompt (GRPO,
/// RLOO): what the REPL's verbs call, so that they dispatch on the algorithm without holding
/// its maths.
public protocol GroupAlgorithm: AnyObject {
    /// TRL's trainer name without "Trainer": "GRPO", "RLOO".
    var name: String { get }
    /// Samples and scores completions (the shared rollout machinery).
    var collector: RolloutCollector { get }
    /// num_generations.
    var groupSize: Int { get }
    /// generation_batch_size / num_generations.
    var promptsPerIteration: Int { get }
    /// num_iterations: optimiser steps on each generation batch.
    var stepsPerBatch: Int { get }
    /// Whether a KL penalty is taken off the score before the baseline (RLOO), rather than put in the loss.
    var rewardIncludesKL: Bool { get }
    /// The advantage's formula, as one line (for the REPL's headings).
    var advantageFormula: String { get }
    /// The loss's formula and normalisation, as one line.
    var lossFormula: String { get }
    /// Every setting under TRL's name with its value, in declaration order.
    var namedSettings: [(String, String)] { get }

    /// The advantages of recorded completions, in groups of groupSize consecutive ones.
    func prepare(_ rollouts: [Rollout]) throws -> GroupBatch
    /// One optimiser step on the whole batch; `index` counts the steps already taken on it.
    func step(batch: GroupBatch, index: Int) -> GroupStepRecord
    /// The log-probs after the steps, and the iteration's metrics.
    func finish(batch: GroupBatch, steps: [GroupStepRecord]) -> GroupIteration
}

extension GroupAlgorithm {
    /// Each prompt sampled groupSize times in a row (as TRL's RepeatSampler), then prepared.
    public func collectBatch(prompts: [[Int]], random: inout RandomGenerator) throws -> GroupBatch {
        let repeated = prompts.flatMap { [[Int]](repeating: $0, count: groupSize) }
        return try prepare(collector.collect(prompts: repeated, random: &random))
    }

    /// One iteration: a generation batch, then num_iterations steps on it. `progress` is told
    /// after every step and may stop the iteration there (the steps taken are kept).
    public func iterate(prompts: [[Int]], random: inout RandomGenerator,
                        progress: (GroupStepRecord) -> TrainingControl = { _ in .proceed }) throws -> GroupIteration {
        let batch = try collectBatch(prompts: prompts, random: &random)
        var steps: [GroupStepRecord] = []
        for index in 0..<stepsPerBatch {
            let record = step(batch: batch, index: index)
            steps.append(record)
            if progress(record) == .stop { break }
        }
        return finish(batch: batch, steps: steps)
    }

    /// `iterations` iterations on prompts drawn at random from `pool`, one event per optimiser step
    /// (step counts optimiser steps; the iteration's metrics, then `kl_to_sft`, arrive on its last step).
    /// Returning `.stop` ends training after the step just reported.
    public func train(iterations: Int, pool: [[Int]], random: inout RandomGenerator,
                      progress: ProgressCallback) throws -> (history: TrainingHistory, last: GroupIteration?) {
        var history = TrainingHistory()
        var last: GroupIteration?
        let total = iterations * stepsPerBatch
        var done = 0
        for _ in 0..<iterations {
            let prompts = (0..<promptsPerIteration).map { _ in pool[random.nextInt(below: pool.count)] }
            var stopped = false
            let iteration = try iterate(prompts: prompts, random: &random) { record in
                done += 1
                // The iteration's last step is reported below, with the iteration's metrics.
                if record.index == stepsPerBatch - 1 { return .proceed }
                let event = TrainingEvent(step: done, totalSteps: total, metrics: [Metric(.loss, record.loss)])
                history.record(event)
                if progress(event) == .stop { stopped = true; return .stop }
                return .proceed
            }
            last = iteration
            if stopped {
                history.markStopped()
                break
            }
            let event = TrainingEvent(step: done, totalSteps: total, metrics: iteration.metrics
                + [.klToSFT(HeldOutEvaluation.sequenceKL(iteration.batch.rollouts))])
            history.record(event)
            if progress(event) == .stop {
                history.markStopped()
                break
            }
        }
        return (history, last)
    }
}
