import RLHFEngine
import RLHFStages

/// One set of verbs for every algorithm: `set algorithm ppo|grpo|rloo` chooses what `batch`,
/// `advantages`, `credit`, `update [step]` and `export trace` do, and `train grpo|rloo N` runs one.
/// Under PPO the verbs are PPO's own commands, untouched; under GRPO or RLOO they call the
/// `GroupAlgorithm` protocol and only render what it computed (`GroupViews`).
enum AlgorithmCommands {
    /// `command`, dispatching on the session's algorithm where the verb has a group form.
    static func dispatching(_ command: Command) -> Command {
        if let form = groupForms.first(where: { $0.verb == command.name }) {
            return wrap(command, details: form.details, group: form.view)
        }
        switch command.name {
        case "train": return train(command)
        case "set": return set(command)
        case "show": return show(command)
        default: return command
        }
    }

    /// The verbs with a group form: under GRPO or RLOO, what `help VERB` adds and the view that runs instead.
    private static let groupForms: [(verb: String, details: String,
                                     view: @Sendable (Invocation, GroupAlgorithm) throws -> Void)] = [
        ("batch", "Under GRPO or RLOO (`set algorithm`): `batch [N] [FILE]` samples num_generations completions "
            + "of each of N prompts\n(default generation_batch_size / num_generations) and shows the groups.",
         GroupViews.batch),
        ("advantages", "Under GRPO or RLOO: `advantages [G]`, each group's mean and std and each completion's "
            + "advantage (group G only).", GroupViews.advantages),
        ("credit", "Under GRPO or RLOO: `credit [N]`, completion N's tokens all carry its one advantage, beside "
            + "PPO's GAE A_t for the same tokens.", GroupViews.credit),
        ("update", "Under GRPO or RLOO: num_iterations Adam steps on the whole batch; `update step` shows per token "
            + "(RLOO: per completion)\nthe ratio, the clip, the loss term and the weight loss_type gives it.",
         GroupViews.update),
        ("export", "Under GRPO or RLOO: the group batch and its steps, as docs/group-trace.md describes.",
         GroupViews.export),
    ]

    private static func wrap(_ command: Command, details: String,
                             group: @escaping @Sendable (Invocation, GroupAlgorithm) throws -> Void) -> Command {
        Command(command.name, aliases: command.aliases, usage: command.usage, summary: command.summary,
                details: command.details + (command.details.isEmpty ? "" : "\n") + details,
                complete: command.complete) { call in
            if let trainer = call.session.algorithms.current(call.session) {
                try group(call, trainer)
            } else {
                try command.run(call)
            }
        }
    }

    // MARK: - train grpo|rloo N [FILE]

    private static func train(_ command: Command) -> Command {
        Command(command.name, aliases: command.aliases,
                usage: command.usage.replacingOccurrences(of: "ppo|", with: "ppo|grpo|rloo|"),
                summary: command.summary,
                details: command.details
                    + "\ntrain grpo N [FILE]  N GRPO iterations (generation_batch_size completions, "
                    + "num_iterations Adam steps each),\n                    on the training prompts or FILE's; "
                    + "likewise train rloo N [FILE].",
                complete: nil) { call in
            guard let stage = call.arguments.first, let algorithm = AlgorithmState.Algorithm(rawValue: stage),
                  algorithm != .ppo else {
                try command.run(call)
                return
            }
            let session = call.session
            let iterations = try call.integer(1, name: "N", range: 1...100_000)
            try call.expectAtMost(3)
            let file = call.arguments.count > 2 ? call.interpreter.resolve(call.arguments[2]) : nil
            let pool = try PromptFiles.pool(file, session: session)
            let trainer = session.algorithms.trainer(algorithm, session: session)!
            call.console.line("\(trainer.name): \(iterations) iteration\(iterations == 1 ? "" : "s") of "
                + "\(trainer.promptsPerIteration) prompt\(trainer.promptsPerIteration == 1 ? "" : "s") x "
                + "\(trainer.groupSize) completions, \(trainer.stepsPerBatch) Adam "
                + "step\(trainer.stepsPerBatch == 1 ? "" : "s") "
                + "each.")
            let reporter = TrainCommands.reporter(call, "train \(stage)")
            let log = TrainingLog(session, algorithm: stage)
            let result = try trainer.train(iterations: iterations, pool: pool, random: &session.random) { event in
                // The iteration's own event is the one on its last optimiser step.
                if event.step % trainer.stepsPerBatch == 0 {
                    log?.record(step: event.step / trainer.stepsPerBatch, metrics: event.metrics)
                }
                return reporter(event)
            }
            if let last = result.last {
                session.algorithms.batch = last.batch
                session.algorithms.batchAlgorithm = algorithm
                session.algorithms.steps = last.steps
                session.algorithms.lastIteration = last
            }
            TrainCommands.report(call, result.history, names: [
                "reward", "gold/score", "reward_std", "frac_reward_zero_std", "kl", "entropy", "clip_ratio/region_mean",
                "completions/mean_length"])
            try log?.finish()
        }
    }

    // MARK: - set and show

    private static func set(_ command: Command) -> Command {
        Command(command.name, aliases: command.aliases, usage: command.usage, summary: command.summary,
                details: command.details
                    + "\n`set algorithm ppo|grpo|rloo` chooses the algorithm; under grpo or rloo the "
                    + "names are those of TRL's GRPOConfig or RLOOConfig.",
                complete: { session, arguments in
                    guard arguments.isEmpty else {
                        return arguments == ["algorithm"] ? AlgorithmState.Algorithm.allCases.map(\.rawValue) : []
                    }
                    return command.complete(session, arguments) + ["algorithm"]
                        + session.algorithms.fields().map(\.name)
                }) { call in
            let state = call.session.algorithms
            guard call.arguments.count == 2 else { try command.run(call); return }
            let (name, value) = (call.arguments[0], call.arguments[1])
            if name == "algorithm" {
                guard let algorithm = AlgorithmState.Algorithm(rawValue: value) else {
                    throw CommandError("algorithm takes ppo, grpo or rloo, not \"\(value)\"")
                }
                state.algorithm = algorithm
                call.console.line("algorithm = \(algorithm.rawValue)")
                return
            }
            guard let field = state.fields().first(where: { $0.name == name }) else {
                try command.run(call)
                return
            }
            do { try field.write(value) } catch { throw CommandError(String(describing: error)) }
            call.console.line("\(name) = \(field.read())")
        }
    }

    private static func show(_ command: Command) -> Command {
        Command(command.name, aliases: command.aliases, usage: command.usage, summary: command.summary,
                details: command.details, complete: command.complete) { call in
            let state = call.session.algorithms
            if call.arguments == ["algorithm"] {
                call.console.line("algorithm = \(state.algorithm.rawValue)")
                return
            }
            let fields = state.fields()
            if let name = call.arguments.first, let field = fields.first(where: { $0.name == name }) {
                var table = Table([.init("setting", .left), .init("value", .left), .init("meaning", .left)])
                table.add([field.name, field.read(), field.meaning])
                call.console.line(table.render())
                return
            }
            guard call.arguments.isEmpty, !fields.isEmpty else { try command.run(call); return }
            let config = state.algorithm == .grpo ? "GRPOConfig" : "RLOOConfig"
            call.console.line("algorithm = \(state.algorithm.rawValue); TRL's \(config) names:")
            var table = Table([.init("setting", .left), .init("value", .left), .init("meaning", .left)])
            for field in fields { table.add([field.name, field.read(), field.meaning]) }
            call.console.line(table.render())
            call.console.line("  seed \(call.session.seed); PPO's settings show after `set algorithm ppo`.")
        }
    }
}
