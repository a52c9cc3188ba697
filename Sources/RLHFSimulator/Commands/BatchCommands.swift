import RLHFEngine
import RLHFStages

/// A PPO iteration by hand: collect a batch, then update on it (all at once or one
/// minibatch at a time).
enum BatchCommands {
    /// The verbs, which run `batch` and `update` below under PPO.
    static let all: [Command] = [AlgorithmCommands.batch, AlgorithmCommands.update]

    /// `batch [N] [FILE]` under PPO: N rollouts, their scores and KL, and the batch's objective/* metrics.
    static func batch(_ call: Invocation) throws {
        let session = call.session
        try call.expectAtMost(2)
        let count = try call.integer(0, name: "N", default: session.config.batchSize, range: 1...256)
        let file = call.arguments.count > 1 ? call.interpreter.resolve(call.arguments[1]) : nil
        let pool = try PromptFiles.pool(file, session: session)
        // Refused before a prompt is drawn, so the random stream is as it was.
        if let problem = session.config.adaptiveKLProblem(rollouts: count) { throw CommandError(problem) }
        let prompts = (0..<count).map { _ in pool[session.random.nextInt(below: pool.count)] }
        let batch = try session.trainer.collectBatch(prompts: prompts, random: &session.random)
        if let unfinished = session.pendingUpdate, !unfinished.isFinished {
            call.console.line(UpdateReport.discardLine(unfinished))
        }
        session.batch = batch
        session.pendingUpdate = nil
        call.console.line("Collected \(count) rollout\(count == 1 ? "" : "s") (\(batch.tokenCount) response tokens), "
            + "beta = \(Format.fixed(batch.klCoef, 4)):")
        var table = Table([.init("#"), .init("prompt", .left), .init("response", .left), .init("score"),
                           .init("gold"), .init("sum kl")])
        for (index, rollout) in batch.rollouts.enumerated() {
            table.add(["\(index)", session.tokenizer.decode(rollout.promptTokens),
                       session.tokenizer.decode(rollout.responseText) + (rollout.endedWithEOS ? "" : " [no EOS]"),
                       Format.signed(rollout.score, 2), rollout.goldScore.map { Format.signed($0, 1) } ?? "-",
                       Format.signed(rollout.summedKL, 3)])
        }
        call.console.line(table.render())
        let metrics = PPOMetrics.iteration(batch: batch, updates: [], klCoef: batch.klCoef)
        let shown = ["objective/scores", "objective/kl", "objective/non_score_reward", "objective/rlhf_reward",
                     "gold/score"]
        let parts = metrics.filter { shown.contains($0.name) }.map { "\($0.name) \(Format.signed($0.value))" }
        // Three to a line, so the line fits 120 columns.
        for start in stride(from: 0, to: parts.count, by: 3) {
            call.console.line("  " + parts[start..<min(start + 3, parts.count)].joined(separator: "   "))
        }
        call.console.line("`update` runs PPO on this batch; `update step` walks through it one minibatch at a time.")
    }

    /// `update [step]` under PPO: the whole update, or one minibatch at a time.
    static func update(_ call: Invocation) throws {
        let session = call.session
        try call.expectAtMost(1)
        if let word = call.arguments.first, word != "step" {
            throw CommandError("expected `update` or `update step`, not \"update \(word)\"")
        }
        if session.pendingUpdate == nil {
            guard let batch = session.batch else { throw CommandError("no batch to update on: `batch N` collects one") }
            if session.lastIteration?.batch == batch {
                throw CommandError("this batch has already been used for an update; `batch N` collects a fresh one")
            }
            let update = session.trainer.beginUpdate(batch: batch, random: &session.random)
            let plan = update.plan
            session.pendingUpdate = update
            if session.config.numMiniBatches > batch.rollouts.count {
                call.console.line("(num_mini_batches is \(session.config.numMiniBatches) but this batch has "
                    + "\(batch.rollouts.count) rollout\(batch.rollouts.count == 1 ? "" : "s"): one "
                    + "minibatch per rollout.)")
            }
            let epochs = session.config.numPPOEpochs
            let minibatches = plan.count / max(epochs, 1)
            call.console.line("PPO update: \(epochs) epoch\(epochs == 1 ? "" : "s") x \(minibatches) "
                + "minibatch\(minibatches == 1 ? "" : "es") = \(plan.count) Adam steps.")
        }
        let stepping = call.arguments.first == "step"
        guard var pending = session.pendingUpdate else { return }
        let batch = pending.batch
        // One step for `update step`; all the rest for `update`, Ctrl-C stopping after a whole step.
        session.trainer.advance(&pending, stepLimit: stepping ? 1 : Int.max) { record in
            if stepping {
                UpdateReport.minibatchDetail(record, batch: batch, session: session, style: call.style,
                                             console: call.console)
                return .proceed
            }
            call.console.line(UpdateReport.minibatchLine(record))
            return call.console.interruptRequested() ? .stop : .proceed
        }
        session.pendingUpdate = pending
        if !pending.isFinished {
            if stepping {
                call.console.line("Step \(pending.stepsTaken) of \(pending.plan.count) done. "
                    + "`update step` for the next, `update` for all the rest.")
            } else {
                call.console.line(UpdateReport.unfinishedLine(pending))
            }
            return
        }
        let iteration = session.trainer.finish(batch: pending.batch, updates: pending.records)
        session.lastIteration = iteration
        session.pendingUpdate = nil
        UpdateReport.summary(iteration, session: session, style: call.style, console: call.console)
    }
}

/// Where rollouts' prompts come from: the world's training prompts, or a file.
enum PromptFiles {
    static func pool(_ file: String?, session: Session) throws -> [[Int]] {
        guard let file else { return session.data.trainingPrompts.map(\.tokens) }
        let limit = session.policy.model.config.contextLength - 1
        return try DataFiles.loadPrompts(path: file, tokenizer: session.tokenizer, maxTokens: limit).map(\.tokens)
    }
}
