import RLHFEngine
import RLHFStages

/// The group algorithms' entries in `AlgorithmViewTable` (GRPO, RLOO): their verbs call the
/// `GroupAlgorithm` protocol and render what it computed; none of the maths is here.
struct GroupViews: AlgorithmViews {
    let algorithm: AlgorithmState.Algorithm
    var name: String { algorithm.rawValue }
    let trainHelp = """
        train grpo N [FILE]  N GRPO iterations (generation_batch_size completions, num_iterations Adam steps each),
                            on the training prompts or FILE's; likewise train rloo N [FILE].
        """

    func details(_ verb: AlgorithmVerb) -> String {
        switch verb {
        case .batch:
            return "Under GRPO or RLOO (`set algorithm`): `batch [N] [FILE]` samples num_generations completions "
                + "of each of N prompts\n(default generation_batch_size / num_generations) and shows the groups."
        case .advantages:
            return "Under GRPO or RLOO: `advantages [G]`, each group's mean and std and each completion's "
                + "advantage (group G only)."
        case .credit:
            return "Under GRPO or RLOO: `credit [N]`, completion N's tokens all carry its one advantage, beside "
                + "PPO's GAE A_t for the same tokens."
        case .update:
            return "Under GRPO or RLOO: num_iterations Adam steps on the whole batch; `update step` shows per token "
                + "(RLOO: per completion)\nthe ratio, the clip, the loss term and the weight loss_type gives it."
        case .export:
            return "Under GRPO or RLOO: the group batch and its steps, as docs/group-trace.md describes."
        }
    }

    /// The session's trainer of this algorithm, built on its current models.
    private func groupTrainer(_ call: Invocation) -> GroupAlgorithm {
        call.session.algorithms.trainer(algorithm, session: call.session)!
    }

    // MARK: - train NAME N [FILE]

    func train(_ call: Invocation, steps: Int, file: String?, path: String?) throws {
        let session = call.session
        let (iterations, stage) = (steps, name)
        let pool = try PromptFiles.pool(path, session: session)
        let trainer = groupTrainer(call)
        if let unfinished = session.dropWorkInHand() { call.console.line(UpdateReport.discardLine(unfinished)) }
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
            session.algorithms.batchFormula = trainer.advantageFormula
            session.algorithms.steps = last.steps
            // An iteration stopped part-way (Ctrl-C) is not finished: `update` takes its remaining steps.
            session.algorithms.lastIteration = last.steps.count < trainer.stepsPerBatch ? nil : last
        }
        let summary: [GroupMetric] = [.reward, .goldScore, .rewardStd, .fracRewardZeroStd, .kl, .entropy,
                                      .clipRatioRegion, .meanLength]
        TrainCommands.report(call, result.history, names: summary.map(\.name))
        try log?.finish()
    }

    // MARK: - batch

    func batch(_ call: Invocation) throws {
        let trainer = groupTrainer(call)
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
        state.batchFormula = trainer.advantageFormula
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
                table.add(["\(index)",
                           session.tokenizer.decode(rollout.responseText) + (rollout.endedWithEOS ? "" : " [no EOS]"),
                           Format.signed(rollout.score, 2), rollout.goldScore.map { Format.signed($0, 1) } ?? "-",
                           Format.signed(rollout.sequenceKL, 3), "\(rollout.tokenCount)"])
            }
            call.console.line(table.render())
        }
        // The batch's own metrics (no step taken yet: the policy is unchanged).
        let shown = [GroupMetric.reward, .rewardStd, .fracRewardZeroStd, .kl, .goldScore].map(\.name)
        let metrics = trainer.finish(batch: batch, steps: []).metrics.filter { shown.contains($0.name) }
        call.console.line("  " + metrics.map { "\($0.name) \(Format.signed($0.value))" }.joined(separator: "   "))
        call.console.line("(sum kl: sum_t log p - log p_ref, k1.) `advantages` shows each completion's advantage; "
            + "`update` trains on the batch.")
    }

    // MARK: - advantages

    func advantages(_ call: Invocation) throws {
        let (session, trainer, batch) = try inHand(call, atMostArguments: 1)
        let chosen = call.arguments.isEmpty ? Array(0..<batch.groupCount)
            : [try call.integer(0, name: "G", range: 0...(batch.groupCount - 1))]
        let formula = session.algorithms.batchFormula ?? trainer.advantageFormula
        call.console.line("\(trainer.name): \(formula)")
        if formula != trainer.advantageFormula {
            call.console.line("Settings changed since this batch was computed: the numbers below use its formula; "
                + "today's settings give \(trainer.advantageFormula). `batch` collects one with them.")
        }
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

    func credit(_ call: Invocation) throws {
        let (session, trainer, batch) = try inHand(call, atMostArguments: 1)
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

    func update(_ call: Invocation) throws {
        let (session, trainer, batch) = try inHand(call, atMostArguments: 1)
        let state = session.algorithms
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
            if !stepping && call.console.interruptRequested() {
                call.console.line("Stopped after step \(state.steps.count) of \(trainer.stepsPerBatch); "
                    + "`update` takes the rest.")
                return
            }
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
        let (agreeing, up) = iteration.movedWithAdvantage
        call.console.line("  \(agreeing) of \(up) completions with A != 0 moved their log-probability "
            + "in A's direction.")
    }

    private func stepDetail(_ record: GroupStepRecord, batch: GroupBatch, trainer: GroupAlgorithm, call: Invocation) {
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
                         Format.signed(unit.advantage), Format.fixed(rollout.sequenceLogprob),
                         Format.fixed(record.newSequenceLogprob(unit.completion))]
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
                let (units, total) = record.weight(of: completion)
                weights.add(["\(completion)", "\(units.count)", Format.signed(batch.advantages[completion]),
                             Format.fixed(units.first?.weight ?? 0, 4), Format.fixed(total, 4)])
            }
            call.console.line("What each completion weighs in the loss (tokens x weight per token):")
            call.console.line(weights.render())
        }
        call.console.line(Format.wrapped("  loss \(Format.signed(record.loss, 5)) = sum of weight*term   grad_norm "
            + "\(Format.fixed(record.gradNorm))   " + record.metrics.map { "\($0.name) \(Format.fixed($0.value, 4))" }
                .joined(separator: "  ")))
        call.console.line(UpdateReport.afterStep("from the forward pass before this step",
                                                 gradNorm: Double(record.gradNorm)))
    }

    // MARK: - export trace

    func exportTrace(_ call: Invocation) throws {
        guard call.arguments.count == 2, call.arguments[0] == "trace" else {
            throw call.usageError()
        }
        let (session, trainer, batch) = try inHand(call)
        let steps = session.algorithms.steps
        let path = call.arguments[1]
        do {
            try GroupTraceExport.write(batch: batch, steps: steps, algorithm: trainer,
                                       tokenizer: call.session.tokenizer, to: path)
        } catch { throw CommandError(String(describing: error)) }
        call.console.line("Wrote \(path): \(batch.rollouts.count) completions in \(batch.groupCount) groups and "
            + "\(steps.count) step\(steps.count == 1 ? "" : "s").")
    }

    // MARK: - Helpers

    /// The session, this algorithm's trainer and the last batch, when this algorithm collected it; then checks
    /// that the command has at most `atMostArguments` arguments, if given.
    private func inHand(_ call: Invocation,
                        atMostArguments: Int? = nil) throws -> (Session, GroupAlgorithm, GroupBatch) {
        let trainer = groupTrainer(call)
        let state = call.session.algorithms
        guard let batch = state.batch, state.batchAlgorithm == state.algorithm else {
            throw CommandError("no \(state.algorithm.rawValue) batch yet: `batch` collects one (or `train "
                + "\(state.algorithm.rawValue) N`)")
        }
        if let atMostArguments { try call.expectAtMost(atMostArguments) }
        return (call.session, trainer, batch)
    }
}
