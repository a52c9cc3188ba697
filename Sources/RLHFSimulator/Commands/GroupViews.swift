import RLHFEngine
import RLHFStages

/// The group algorithms' verbs (GRPO, RLOO): they call the `GroupAlgorithm` protocol and render
/// what it computed; none of the maths is here.
enum GroupViews {
    // MARK: - batch

    static func batch(_ call: Invocation, _ trainer: GroupAlgorithm) throws {
        let session = call.session
        try call.expectAtMost(2)
        let count = try call.integer(0, name: "N", default: trainer.promptsPerIteration, range: 1...64)
        let pool = try PromptFiles.pool(call.arguments.count > 1 ? call.interpreter.resolve(call.arguments[1]) : nil,
                                        session: session)
        let prompts = (0..<count).map { _ in pool[session.random.nextInt(below: pool.count)] }
        let batch = try trainer.collectBatch(prompts: prompts, random: &session.random)
        let state = session.algorithms
        state.dropBatch()
        state.batch = batch
        state.batchAlgorithm = state.algorithm
        call.console.line("\(trainer.name) batch: \(count) prompt\(count == 1 ? "" : "s") x "
            + "\(batch.groupSize) completions "
            + "= \(batch.rollouts.count) (\(batch.tokenCount) tokens). No critic: each group is its own baseline.")
        for group in 0..<batch.groupCount {
            let first = group * batch.groupSize
            let summary = batch.groups[group]
            call.console.line("Group \(group): \(session.tokenizer.decode(batch.rollouts[first].promptTokens))   "
                + "mean \(Format.signed(summary.mean)), std \(Format.fixed(summary.std))"
                + (summary.hasZeroStd ? "  (all equal: no gradient from this group)" : ""))
            var table = Table([.init("#"), .init("response", .left), .init("score"), .init("gold"), .init("sum kl"),
                               .init("tokens")])
            for index in first..<(first + batch.groupSize) {
                let rollout = batch.rollouts[index]
                let kl = zip(rollout.logprobs, rollout.refLogprobs).reduce(0) { $0 + $1.0 - $1.1 }
                table.add(["\(index)",
                           session.tokenizer.decode(rollout.responseText) + (rollout.endedWithEOS ? "" : " [no EOS]"),
                           Format.signed(rollout.score, 2), rollout.goldScore.map { Format.signed($0, 1) } ?? "-",
                           Format.signed(kl, 3), "\(rollout.tokenCount)"])
            }
            call.console.line(table.render())
        }
        // The batch's own metrics (no step taken yet: the policy is unchanged).
        let shown = ["reward", "reward_std", "frac_reward_zero_std", "kl", "gold/score"]
        let metrics = trainer.finish(batch: batch, steps: []).metrics.filter { shown.contains($0.name) }
        call.console.line("  " + metrics.map { "\($0.name) \(Format.signed($0.value))" }.joined(separator: "   "))
        call.console.line("(sum kl: sum_t log p - log p_ref, k1.) `advantages` shows each completion's advantage; "
            + "`update` trains on the batch.")
    }

    // MARK: - advantages

    static func advantages(_ call: Invocation, _ trainer: GroupAlgorithm) throws {
        let session = call.session
        let batch = try currentBatch(call, atMostArguments: 1)
        let chosen = call.arguments.isEmpty ? Array(0..<batch.groupCount)
            : [try call.integer(0, name: "G", range: 0...(batch.groupCount - 1))]
        call.console.line("\(trainer.name): \(trainer.advantageFormula)")
        let showsKL = trainer.rewardIncludesKL
        for group in chosen {
            let summary = batch.groups[group]
            let prompt = session.tokenizer.decode(batch.rollouts[group * batch.groupSize].promptTokens)
            call.console.line("Group \(group): \(prompt)"
                + "   rewards' mean \(Format.signed(summary.mean, 4)), std \(Format.fixed(summary.std, 4))")
            var columns: [Table.Column] = [.init("#"), .init("response", .left), .init("score")]
            if showsKL { columns += [.init("- beta kl"), .init("= reward")] }
            columns += [.init("baseline"), .init("scale"), .init("A")]
            var table = Table(columns)
            for index in (group * batch.groupSize)..<((group + 1) * batch.groupSize) {
                let part = batch.breakdowns[index]
                var cells = ["\(index)", session.tokenizer.decode(batch.rollouts[index].responseText),
                             Format.signed(part.score, 4)]
                if showsKL { cells += [Format.signed(-part.klPenalty, 4), Format.signed(part.reward, 4)] }
                cells += [Format.signed(part.baseline, 4), Format.fixed(part.scale, 4),
                          Format.signed(part.advantage, 4)]
                table.add(cells)
            }
            call.console.line(table.render())
        }
        call.console.line("A = (reward - baseline) / scale, one number per completion: "
            + "every one of its tokens carries it.")
    }

    // MARK: - credit

    static func credit(_ call: Invocation, _ trainer: GroupAlgorithm) throws {
        let session = call.session
        let batch = try currentBatch(call, atMostArguments: 1)
        let index = try call.integer(0, name: "N", default: 0, range: 0...(batch.rollouts.count - 1))
        let rollout = batch.rollouts[index]
        let ppo = session.config
        let gae = GroupCredit.ppoAdvantages(rollout, config: ppo)
        call.console.line("Completion \(index): \(session.tokenizer.decode(rollout.promptTokens)) -> "
            + "\(session.tokenizer.decode(rollout.responseText))")
        call.console.line(Format.wrapped("\(trainer.name) gives every token the completion's advantage A = "
            + "\(Format.signed(batch.advantages[index], 4)). PPO's GAE on the same tokens "
            + "(kl_coef \(Format.short(ppo.klCoef)), "
            + "lam \(Format.short(ppo.lam)), the value head's V):"))
        var table = Table([.init("t"), .init("token", .left), .init("\(trainer.name) A"), .init("PPO r_t"),
                           .init("V(s_t)"), .init("GAE A_t")])
        for t in 0..<rollout.tokenCount {
            table.add(["\(t)", InspectCommands.token(session, rollout.responseTokens[t]),
                       Format.signed(batch.advantages[index], 4), Format.signed(gae.rewards[t], 4),
                       Format.signed(rollout.values[t], 4), Format.signed(gae.advantages[t], 4)])
        }
        call.console.line(table.render())
        call.console.line(Format.wrapped("Without a critic no token is told it mattered more than another; "
            + "GAE's A_t (before whitening) "
            + "varies along the completion with V."))
    }

    // MARK: - update [step]

    static func update(_ call: Invocation, _ trainer: GroupAlgorithm) throws {
        let session = call.session
        let state = session.algorithms
        let batch = try currentBatch(call, atMostArguments: 1)
        if let word = call.arguments.first, word != "step" {
            throw CommandError("expected `update` or `update step`, not \"update \(word)\"")
        }
        if state.lastIteration?.batch == batch {
            throw CommandError("this batch has already been used for an update; `batch` collects a fresh one")
        }
        if state.steps.isEmpty {
            call.console.line("\(trainer.name) update: num_iterations = \(trainer.stepsPerBatch) Adam "
                + "step\(trainer.stepsPerBatch == 1 ? "" : "s") on the whole batch of "
                + "\(batch.rollouts.count) completions.")
        }
        let stepping = call.arguments.first == "step"
        while state.steps.count < trainer.stepsPerBatch {
            if !stepping && call.console.interruptRequested() { return }
            let record = trainer.step(batch: batch, index: state.steps.count)
            state.steps.append(record)
            if stepping {
                stepDetail(record, batch: batch, trainer: trainer, call: call)
                if state.steps.count < trainer.stepsPerBatch {
                    call.console.line("Step \(state.steps.count) of \(trainer.stepsPerBatch) done. "
                        + "`update step` for the next, "
                        + "`update` for all the rest.")
                    return
                }
            } else {
                call.console.line(Format.wrapped("  step \(record.index): loss \(Format.signed(record.loss, 5))  "
                    + record.metrics.map { "\($0.name) \(Format.fixed($0.value, 4))" }.joined(separator: "  ")))
            }
        }
        let iteration = trainer.finish(batch: batch, steps: state.steps)
        state.lastIteration = iteration
        call.console.line("Update finished. TRL's metrics for this iteration:")
        var table = Table([.init("metric", .left), .init("value")])
        for metric in iteration.metrics { table.add([metric.name, Format.signed(metric.value, 4)]) }
        call.console.line(table.render())
        var up = 0, agreeing = 0
        for (index, rollout) in batch.rollouts.enumerated() where batch.advantages[index] != 0 {
            let change = iteration.logprobsAfter[index].reduce(0, +) - rollout.logprobs.reduce(0, +)
            up += 1
            if change * batch.advantages[index] > 0 { agreeing += 1 }
        }
        call.console.line("  \(agreeing) of \(up) completions with A != 0 moved their log-probability "
            + "in A's direction.")
    }

    static func stepDetail(_ record: GroupStepRecord, batch: GroupBatch, trainer: GroupAlgorithm, call: Invocation) {
        let session = call.session
        call.console.line(Format.wrapped("Step \(record.index): \(trainer.lossFormula)"))
        let perToken = record.units.first?.token != nil
        var columns: [Table.Column] = [.init("#"), .init(perToken ? "t" : "tokens"),
                                       .init(perToken ? "token" : "response", .left),
                                       .init("A"), .init(perToken ? "log p_old" : "sum log p_old"),
                                       .init(perToken ? "log p_new" : "sum log p_new"), .init("ratio"),
                                       .init("clip", .left)]
        let showsKL = record.units.contains { $0.kl != nil }
        if showsKL { columns.append(.init("k3")) }
        columns += [.init("term"), .init("weight"), .init("weight*term")]
        var table = Table(columns)
        for unit in record.units {
            let rollout = batch.rollouts[unit.completion]
            var cells: [String]
            if let t = unit.token {
                cells = ["\(unit.completion)", "\(t)", InspectCommands.token(session, rollout.responseTokens[t]),
                         Format.signed(unit.advantage), Format.fixed(rollout.logprobs[t]),
                         Format.fixed(record.newLogprobs[unit.completion][t])]
            } else {
                cells = ["\(unit.completion)", "\(rollout.tokenCount)", session.tokenizer.decode(rollout.responseText),
                         Format.signed(unit.advantage), Format.fixed(rollout.logprobs.reduce(0, +)),
                         Format.fixed(record.newLogprobs[unit.completion].reduce(0, +))]
            }
            cells += [Format.fixed(unit.ratio, 4), unit.clip == .none ? "" : call.style.yellow(unit.clip.rawValue)]
            if showsKL { cells.append(unit.kl.map { Format.fixed($0, 5) } ?? "") }
            cells += [Format.signed(unit.term, 4), Format.fixed(unit.weight, 4),
                      Format.signed(unit.weight * unit.term, 5)]
            table.add(cells)
        }
        call.console.line(table.render())
        if perToken {
            // The length bias: what each completion weighs in all, by the loss type's weights.
            var weights = Table([.init("#"), .init("tokens"), .init("A"), .init("weight/token"), .init("total weight")])
            for completion in 0..<batch.rollouts.count {
                let units = record.units.filter { $0.completion == completion }
                weights.add(["\(completion)", "\(units.count)", Format.signed(batch.advantages[completion]),
                             Format.fixed(units.first?.weight ?? 0,
                                          4), Format.fixed(units.reduce(0) { $0 + $1.weight }, 4)])
            }
            call.console.line("What each completion weighs in the loss (tokens x weight per token):")
            call.console.line(weights.render())
        }
        call.console.line(Format.wrapped("  loss \(Format.signed(record.loss, 5)) = sum of weight*term   grad_norm "
            + "\(Format.fixed(record.gradNorm))   " + record.metrics.map { "\($0.name) \(Format.fixed($0.value, 4))" }
                .joined(separator: "  ")))
        call.console.line("  (from the forward pass before this step; the Adam step then moved the parameters)")
    }

    // MARK: - export trace

    static func export(_ call: Invocation, _ trainer: GroupAlgorithm) throws {
        guard call.arguments.count == 2, call.arguments[0] == "trace" else {
            throw call.usageError()
        }
        let batch = try currentBatch(call)
        let steps = call.session.algorithms.steps
        let path = call.arguments[1]
        do {
            try GroupTraceExport.write(batch: batch, steps: steps, algorithm: trainer,
                                       tokenizer: call.session.tokenizer, to: path)
        } catch { throw CommandError(String(describing: error)) }
        call.console.line("Wrote \(path): \(batch.rollouts.count) completions in \(batch.groupCount) groups and "
            + "\(steps.count) step\(steps.count == 1 ? "" : "s").")
    }

    // MARK: - Helpers

    /// The last batch, when the current algorithm collected it; then checks that the command has at most
    /// `atMostArguments` arguments, if given.
    static func currentBatch(_ call: Invocation, atMostArguments: Int? = nil) throws -> GroupBatch {
        let state = call.session.algorithms
        guard let batch = state.batch, state.batchAlgorithm == state.algorithm else {
            throw CommandError("no \(state.algorithm.rawValue) batch yet: `batch` collects one (or `train "
                + "\(state.algorithm.rawValue) N`)")
        }
        if let atMostArguments { try call.expectAtMost(atMostArguments) }
        return batch
    }
}
