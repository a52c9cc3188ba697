import RLHFEngine
import RLHFStages

/// One set of verbs for every algorithm: `set algorithm ppo|grpo|rloo` chooses what `batch`,
/// `advantages`, `credit`, `update [step]` and `export trace` do, and `train NAME N` runs any of them
/// (or DPO). Each verb looks its algorithm up in `AlgorithmViewTable` and runs that entry's view,
/// which calls the algorithm's stage code and only renders; none of the maths is here.
enum AlgorithmCommands {
    /// `command`, with the settings of the session's algorithm where it is `set` or `show`.
    static func dispatching(_ command: Command) -> Command {
        switch command.name {
        case "set": return set(command)
        case "show": return show(command)
        default: return command
        }
    }

    static let batch = verb(
        .batch, usage: "batch [N] [FILE]",
        summary: "collect N rollouts (default batch_size) from the training prompts, or from a prompt FILE"
    ) { try $0.batch($1) }

    static let advantages = verb(
        .advantages, aliases: ["adv", "a"], usage: "advantages [N]",
        summary: "each token's advantage and how it is made (PPO: GAE from r_t and V(s_t); GRPO, RLOO: the group)"
    ) { try $0.advantages($1) }

    static let credit = verb(
        .credit, aliases: ["c"], usage: "credit [N]",
        summary: "credit assignment: where each token's advantage comes from (PPO: score, KL penalties, critic)"
    ) { try $0.credit($1) }

    static let update = verb(
        .update, aliases: ["u"], usage: "update [step]",
        summary: "one update on the last batch, the algorithm's (`update step`: one optimiser step at a time)"
    ) { try $0.update($1) }

    /// `export dpo` is the same under every algorithm; `export trace` is the algorithm's.
    static let export = verb(
        .export, usage: "export trace FILE | export dpo FILE [PAIRS]",
        summary: "write the last batch and its update (every per-token number), or DPO on pairs, as JSON",
        details: "`export dpo FILE [PAIRS]`: DPO on PAIRS or the held-out pairs, per token (docs/dpo.md)."
    ) { views, call in
        if call.arguments.first == "dpo" { return try DPOCommands.export(call) }
        try views.exportTrace(call)
    }

    /// A verb whose help gathers each algorithm's form and whose run is the session's algorithm's view.
    private static func verb(_ verb: AlgorithmVerb, aliases: [String] = [], usage: String, summary: String,
                             details: String = "",
                             run: @escaping @Sendable (AlgorithmViews, Invocation) throws -> Void) -> Command {
        let forms = AlgorithmViewTable.details(verb)
        return Command(verb.rawValue, aliases: aliases, usage: usage, summary: summary,
                       details: forms + (forms.isEmpty || details.isEmpty ? "" : "\n") + details) { call in
            try run(AlgorithmViewTable.current(call.session), call)
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
                    let names = AlgorithmState.Algorithm.allCases.map(\.rawValue)
                    throw CommandError("algorithm takes \(names.dropLast().joined(separator: ", ")) or "
                        + "\(names.last!), not \"\(value)\"")
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
            let config = state.algorithm.rawValue.uppercased() + "Config"  // TRL's GRPOConfig, RLOOConfig
            call.console.line("algorithm = \(state.algorithm.rawValue); TRL's \(config) names:")
            var table = Table([.init("setting", .left), .init("value", .left), .init("meaning", .left)])
            for field in fields { table.add([field.name, field.read(), field.meaning]) }
            call.console.line(table.render())
            call.console.line("  seed \(call.session.seed); PPO's settings show after `set algorithm ppo`.")
        }
    }
}
