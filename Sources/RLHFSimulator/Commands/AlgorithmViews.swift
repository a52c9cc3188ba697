import RLHFStages

/// What `train NAME N [FILE]` does under one algorithm (PPO, GRPO, RLOO, DPO): it runs the
/// algorithm's own training loop in RLHFStages and renders its events.
protocol TrainingView: Sendable {
    /// The name typed after `train` (and after `set algorithm`, for an online algorithm).
    var name: String { get }
    /// The lines `help train` gives for this algorithm (several algorithms may share one text).
    var trainHelp: String { get }
    /// - Parameters: `steps` as typed (N); `file` as typed, `path` where it resolves.
    func train(_ call: Invocation, steps: Int, file: String?, path: String?) throws
}

/// The REPL's verbs under one online algorithm: each calls that algorithm's stage code and only
/// renders what it computed. `set algorithm` chooses the entry of `AlgorithmViewTable` the verbs run.
protocol AlgorithmViews: TrainingView {
    /// What `help VERB` says of this algorithm's form of the verb ("" for nothing).
    func details(_ verb: AlgorithmVerb) -> String
    /// `batch [N] [FILE]`: sample and score a batch, and show it.
    func batch(_ call: Invocation) throws
    /// `advantages [N]`: the advantages of the batch (or episode), as this algorithm computes them.
    func advantages(_ call: Invocation) throws
    /// `credit [N]`: how credit reaches each token.
    func credit(_ call: Invocation) throws
    /// `update [step]`: the optimiser steps on the batch, all at once or one at a time.
    func update(_ call: Invocation) throws
    /// `export trace FILE`: the batch and its steps, as JSON.
    func exportTrace(_ call: Invocation) throws
}

/// The verbs that dispatch on the session's algorithm.
enum AlgorithmVerb: String, CaseIterable, Sendable {
    case batch, advantages, credit, update, export
}

/// The one table of algorithms the verbs dispatch on: an online algorithm is one entry of
/// `views(_:)` (its `AlgorithmState.Algorithm` case), an offline one (DPO) one entry of `training`.
enum AlgorithmViewTable {
    /// The views of `algorithm`.
    static func views(_ algorithm: AlgorithmState.Algorithm) -> AlgorithmViews {
        switch algorithm {
        case .ppo: return PPOViews()
        case .grpo, .rloo: return GroupViews(algorithm: algorithm)
        }
    }

    /// The views of the session's algorithm (`set algorithm`).
    static func current(_ session: Session) -> AlgorithmViews { views(session.algorithms.algorithm) }

    /// Every algorithm `train` runs, in the order `help train` lists them.
    static var training: [TrainingView] { AlgorithmState.Algorithm.allCases.map(views) + [DPOViews()] }

    /// What `help VERB` says: each algorithm's form of the verb, once per distinct text.
    static func details(_ verb: AlgorithmVerb) -> String {
        var texts: [String] = []
        for algorithm in AlgorithmState.Algorithm.allCases {
            let text = views(algorithm).details(verb)
            if !text.isEmpty && !texts.contains(text) { texts.append(text) }
        }
        return texts.joined(separator: "\n")
    }
}
