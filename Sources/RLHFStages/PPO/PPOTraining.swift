import RLHFEngine

/// An update under way: its batch, its plan of optimiser steps and the steps taken so far.
/// Every step taken is already applied to the policy; `PPOTrainer.advance` takes the rest.
public struct UpdateInProgress: Sendable {
    public let batch: RolloutBatch
    /// One entry per optimiser step, in order (see `PPOTrainer.updatePlan`).
    public let plan: [(epoch: Int, minibatch: Int, indices: [Int])]
    public internal(set) var records: [MinibatchRecord] = []

    public init(batch: RolloutBatch, plan: [(epoch: Int, minibatch: Int, indices: [Int])]) {
        self.batch = batch
        self.plan = plan
    }

    public var stepsTaken: Int { records.count }
    public var isFinished: Bool { records.count == plan.count }
}

extension PPOTrainer {
    /// An update of `batch` that has not taken any step yet (draws the minibatch order).
    public func beginUpdate(batch: RolloutBatch, random: inout RandomGenerator) -> UpdateInProgress {
        UpdateInProgress(batch: batch, plan: updatePlan(batchSize: batch.rollouts.count, random: &random))
    }

    /// Takes the next optimiser steps of `update`: until it is whole, `stepLimit` steps have
    /// been taken by this call, or `progress`, told after each step, answers `.stop`.
    public func advance(_ update: inout UpdateInProgress, stepLimit: Int = Int.max,
                        progress: (MinibatchRecord) -> TrainingControl = { _ in .proceed }) {
        var taken = 0
        while !update.isFinished && taken < stepLimit {
            let entry = update.plan[update.records.count]
            let record = step(batch: update.batch, epoch: entry.epoch, minibatch: entry.minibatch,
                              indices: entry.indices)
            update.records.append(record)
            taken += 1
            if progress(record) == .stop { return }
        }
    }

    /// Every step of an update of `batch`, then the iteration's metrics (and the adaptive beta).
    public func update(batch: RolloutBatch, random: inout RandomGenerator) -> PPOIteration {
        var update = beginUpdate(batch: batch, random: &random)
        advance(&update)
        return finish(batch: batch, updates: update.records)
    }
}

/// PPO's iteration loop: the one the REPL's `train ppo`, `bench` and the tests run.
///
/// Each iteration draws `batch_size` prompts from the pool, collects and prepares their
/// rollouts (`PPOTrainer.collectBatch`), then takes the update's
/// `num_ppo_epochs x num_mini_batches` optimiser steps. The callback hears of every step
/// and every finished iteration and may stop the run after any of them: what was done
/// stays applied and is returned, including an update stopped part-way.
public enum PPOTraining {
    /// What a run did.
    public struct Run {
        /// The whole iterations, in order.
        public internal(set) var iterations: [PPOIteration] = []
        /// An update stopped between two optimiser steps: its steps are applied to the
        /// policy; `PPOTrainer.advance` then `finish` complete it.
        public internal(set) var unfinished: UpdateInProgress?
        /// The iteration (1-based) whose rollouts could not be prepared, and why.
        public internal(set) var failure: (iteration: Int, error: any Error)?
        /// True when the callback stopped the run before its last iteration was whole.
        public internal(set) var stoppedEarly = false
        /// True when the callback answered `.stop`, even after the last step, when the run is still whole.
        public internal(set) var stopRequested = false
    }

    /// Runs up to `iterations` iterations; see the type's documentation.
    public static func run(trainer: PPOTrainer, iterations: Int, promptPool: [[Int]], random: inout RandomGenerator,
                           progress: IterationCallback = { _ in .proceed }) -> Run {
        var run = Run()
        guard iterations > 0, !promptPool.isEmpty else { return run }
        for iteration in 1...iterations {
            let prompts = (0..<trainer.config.batchSize).map { _ in
                promptPool[random.nextInt(below: promptPool.count)]
            }
            let batch: RolloutBatch
            do {
                batch = try trainer.collectBatch(prompts: prompts, random: &random)
            } catch {
                run.failure = (iteration, error)
                return run
            }
            var update = trainer.beginUpdate(batch: batch, random: &random)
            let steps = update.plan.count
            var taken = 0
            var stop = false
            trainer.advance(&update) { record in
                taken += 1
                let event = IterationEvent(
                    algorithm: "ppo", moment: .optimiserStep, iteration: iteration, totalIterations: iterations,
                    optimiserStep: taken, stepsPerIteration: steps,
                    metrics: [Metric("loss/policy", record.pgLoss), Metric("loss/value", record.vfLoss),
                              Metric("policy/clipfrac", record.clipfrac), Metric("policy/approxkl", record.approxkl)])
                stop = progress(event) == .stop
                return stop ? .stop : .proceed
            }
            guard update.isFinished else {
                run.unfinished = update
                run.stoppedEarly = true
                run.stopRequested = true
                return run
            }
            let whole = trainer.finish(batch: batch, updates: update.records)
            run.iterations.append(whole)
            let event = IterationEvent(
                algorithm: "ppo", moment: .iterationFinished, iteration: iteration, totalIterations: iterations,
                optimiserStep: steps, stepsPerIteration: steps,
                metrics: whole.metrics + [.klToSFT(HeldOutEvaluation.sequenceKL(batch.rollouts))])
            if progress(event) == .stop || stop {
                run.stoppedEarly = iteration < iterations
                run.stopRequested = true
                return run
            }
        }
        return run
    }
}
