/// How training loops report: they call back after each step and never print.

/// One named number, under TRL's metric name (`loss`, `eval_loss`, `objective/kl`, ...).
public struct Metric: Equatable, Sendable {
    public let name: String
    public let value: Double

    public init(_ name: String, _ value: Double) {
        self.name = name
        self.value = value
    }
}

/// What a loop reports after a step.
public struct TrainingEvent: Sendable {
    /// 1-based number of the step just finished.
    public let step: Int
    public let totalSteps: Int
    /// The step's metrics; held-out ones appear on evaluation steps only.
    public let metrics: [Metric]

    public init(step: Int, totalSteps: Int, metrics: [Metric]) {
        self.step = step
        self.totalSteps = totalSteps
        self.metrics = metrics
    }

    /// The value of the metric called `name`, if reported.
    public func value(_ name: String) -> Double? { metrics.first { $0.name == name }?.value }
}

/// The callback's answer: go on, or stop after the step just reported.
public enum TrainingControl: Sendable {
    case proceed
    case stop
}

/// Called after every step. Returning `.stop` ends training with the model as it is
/// after that whole step.
public typealias ProgressCallback = (TrainingEvent) -> TrainingControl

/// A run's history: every event, in order.
public struct TrainingHistory: Sendable {
    public private(set) var events: [TrainingEvent] = []
    public private(set) var stoppedEarly = false

    public init() {}

    public mutating func record(_ event: TrainingEvent) { events.append(event) }
    public mutating func markStopped() { stoppedEarly = true }

    /// The series of one metric over the steps that reported it.
    public func series(_ name: String) -> [Double] { events.compactMap { $0.value(name) } }
}

/// What an online RL loop (PPO; later GRPO and RLOO) reports: after every optimiser step,
/// and once more when an iteration (rollouts, then its whole update) is complete.
public struct IterationEvent: Sendable {
    public enum Moment: Sendable, Equatable {
        /// One optimiser step of the iteration's update has been applied.
        case optimiserStep
        /// The iteration is whole; `metrics` are the iteration's (TRL's names), then `kl_to_sft`
        /// (`HeldOutEvaluation.sequenceKL` of the iteration's rollouts).
        case iterationFinished
    }

    /// The algorithm's name as the REPL spells it (`ppo`).
    public let algorithm: String
    public let moment: Moment
    /// 1-based number of the iteration, out of `totalIterations`.
    public let iteration: Int
    public let totalIterations: Int
    /// 1-based number of the optimiser step within the iteration, out of `stepsPerIteration`
    /// (equal to it when the iteration is finished).
    public let optimiserStep: Int
    public let stepsPerIteration: Int
    /// The step's losses, or the iteration's metrics.
    public let metrics: [Metric]

    /// The share of the whole run done: whole iterations plus the steps of this one.
    public var fractionDone: Double {
        let steps = Double(max(stepsPerIteration, 1))
        return (Double(iteration - 1) + Double(optimiserStep) / steps) / Double(max(totalIterations, 1))
    }
}

/// Called after every optimiser step and every finished iteration. Returning `.stop` ends
/// the run there, with every step taken so far applied.
public typealias IterationCallback = (IterationEvent) -> TrainingControl
