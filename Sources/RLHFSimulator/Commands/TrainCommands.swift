import Foundation
import RLHFEngine
import RLHFStages

/// Running a whole stage: supervised fine-tuning, the reward model, or PPO.
enum TrainCommands {
    static let all: [Command] = [train, evaluate]

    static let train = Command(
        "train", aliases: ["t"],
        usage: "train sft|rm|\(AlgorithmViewTable.training.map(\.name).joined(separator: "|")) N [FILE]",
        summary: "run a stage for N steps (sft, rm, dpo: on the built-in data or a JSONL FILE; ppo: N iterations)",
        details: """
            train sft N [FILE]  fine-tune a fresh copy of the base model for N steps on FILE ({"prompt", "completion"}
                                lines) or the built-in SFT set; it becomes the SFT model, the reference and the policy
                                (N = 0: the base model itself).
            train rm N [FILE]   go on training the reward model for N steps on FILE (the seed's or TRL's preference
                                format, e.g. your `label` file) or the built-in pairs.

            """ + algorithmHelp + """

            Held-out metrics use the built-in held-out splits. Ctrl-C stops after the last whole step.
            """
    ) { call in
        guard let stage = call.arguments.first else { throw call.usageError() }
        // `train sft 0` makes the untouched base model the SFT model (to see it as a policy).
        let steps = try call.integer(1, name: "N", range: (stage == "sft" ? 0 : 1)...100_000)
        // A file is read from where it resolves (next to a script, if need be) but named as typed.
        let file = call.arguments.count > 2 ? call.arguments[2] : nil
        let path = file.map(call.interpreter.resolve)
        try call.expectAtMost(3)
        switch stage {
        case "sft": try trainSFT(call, steps: steps, file: file, path: path)
        case "rm": try trainReward(call, steps: steps, file: file, path: path)
        default:
            let algorithms = AlgorithmViewTable.training
            guard let algorithm = algorithms.first(where: { $0.name == stage }) else {
                throw CommandError("unknown stage \(Format.quoted(stage)): expected sft, rm, "
                    + algorithms.dropLast().map(\.name).joined(separator: ", ") + " or \(algorithms.last!.name)")
            }
            try algorithm.train(call, steps: steps, file: file, path: path)
        }
    }

    /// Each algorithm's lines of `help train`, once per distinct text.
    private static var algorithmHelp: String {
        var texts: [String] = []
        for algorithm in AlgorithmViewTable.training where !texts.contains(algorithm.trainHelp) {
            texts.append(algorithm.trainHelp)
        }
        return texts.joined(separator: "\n")
    }

    static let evaluate = Command(
        "evaluate", aliases: ["eval"], usage: "evaluate [N]",
        summary: "policy vs SFT on the held-out prompts: reward-model score, gold score, KL (N samples each)",
        details: "Both models sample from the same fixed random stream (not the session's), so two evaluations\n"
            + "compare like with like and do not disturb the session's draws."
    ) { call in
        let session = call.session
        let samples = try call.integer(0, name: "N", default: 8, range: 1...64)
        let prompts = session.data.heldOutPrompts.map(\.tokens)
        // The SFT model as a policy: same reference, reward model and settings.
        let sftCollector = RolloutCollector(policy: ActorCritic(model: session.sft,
                                                                valueHead: session.policy.valueHead),
                                            reference: session.sft, rewardModel: session.reward,
                                            annotator: session.annotator, tokenizer: session.tokenizer,
                                            config: session.config)
        let seed = HeldOutEvaluation.standardSeed  // the same draws every time, for both models, whatever `seed` says
        let results = [("sft", sftCollector), ("policy", session.trainer.collector)].map { name, collector in
            (name, HeldOutEvaluation.run(collector: collector, prompts: prompts, perPrompt: samples, seed: seed))
        }
        call.console.line("\(results[0].1.samples) samples on the \(prompts.count) held-out prompts:")
        if session.rewardSource == .rule {
            call.console.line("Training reward: \(session.rewardSource.description); rm score is shown beside it.")
        }
        var table = Table([.init("model", .left), .init("rm score"), .init("gold score"), .init("kl to SFT"),
                           .init("example", .left)])
        for (name, result) in results {
            table.add([name, Format.signed(result.rewardModelScore), result.goldScore.map { Format.signed($0) } ?? "-",
                       Format.signed(result.kl), session.tokenizer.decode(result.example)])
        }
        call.console.line(table.render())
    }

    // MARK: - Stages

    static func trainSFT(_ call: Invocation, steps: Int, file: String?, path: String?) throws {
        let session = call.session
        let training = try path.map {
            try DataFiles.loadSFT(path: $0, tokenizer: session.tokenizer,
                                  contextLength: session.base.config.contextLength)
        } ?? session.data.sftTraining
        let model = session.base.copy()
        let trainer = SupervisedTrainer(model: model, tokenizer: session.tokenizer)
        if steps == 0 {
            session.replaceSFT(model)
            call.console.line("0 steps: the SFT model is now an exact copy of the base model (held-out loss "
                + "\(Format.fixed(trainer.evaluate(session.data.sftHeldOut.map(\.tokens)), 4))); the policy "
                + "restarts from it.")
            return
        }
        call.console.line("Fine-tuning a copy of the base model on \(training.count) "
            + "examples\(file.map { " from \($0)" } ?? "") for \(steps) step\(steps == 1 ? "" : "s").")
        let before = ["eval_loss": trainer.evaluate(session.data.sftHeldOut.map(\.tokens))]
        let history = trainer.train(training: training.map(\.tokens), heldOut: session.data.sftHeldOut.map(\.tokens),
                                    steps: steps, random: &session.random, progress: reporter(call, "train sft"))
        report(call, history, names: ["loss", "eval_loss"], before: before)
        session.replaceSFT(model)
        call.console.line("This is now the SFT model: the reference for the KL, and the policy restarts from it.")
    }

    static func trainReward(_ call: Invocation, steps: Int, file: String?, path: String?) throws {
        let session = call.session
        let training = try path.map {
            try DataFiles.loadPreferences(path: $0, tokenizer: session.tokenizer,
                                          contextLength: session.reward.backbone.config.contextLength)
        } ?? session.data.preferenceTraining
        let model = session.reward.copy()
        let trainer = RewardTrainer(model: model)
        let shown = Array(training.prefix(5))
        let before = shown.map { (model.score($0.chosen), model.score($0.rejected)) }
        call.console.line("Training the reward model on \(training.count) "
            + "pair\(training.count == 1 ? "" : "s")\(file.map { " from \($0)" } ?? "") for \(steps) "
            + "step\(steps == 1 ? "" : "s").")
        let initial = trainer.evaluate(session.data.preferenceHeldOut)
        let history = trainer.train(training: training, heldOut: session.data.preferenceHeldOut, steps: steps,
                                    random: &session.random, progress: reporter(call, "train rm"))
        report(call, history, names: ["loss", "accuracy", "eval_accuracy", "eval_margin"],
               before: Dictionary(uniqueKeysWithValues: initial.map { ($0.name, $0.value) }))
        call.console.line("Scores of the first pairs trained on, before -> after:")
        // Chosen and rejected on two rows, so the table fits 120 columns.
        var table = Table([.init("prompt", .left), .init("", .left), .init("response", .left),
                           .init("r before -> after")])
        for (pair, old) in zip(shown, before) {
            table.add([pair.promptText, "chosen", pair.chosenText,
                       "\(Format.signed(old.0, 2)) -> \(Format.signed(model.score(pair.chosen), 2))"])
            table.add(["", "rejected", pair.rejectedText,
                       "\(Format.signed(old.1, 2)) -> \(Format.signed(model.score(pair.rejected), 2))"])
        }
        call.console.line(table.render())
        session.replaceReward(model)
    }

    /// `train ppo N [FILE]`: N PPO iterations through `PPOTraining.run`, a bar per optimiser step.
    static func trainPPO(_ call: Invocation, iterations: Int, path: String?) throws {
        let session = call.session
        let pool = try PromptFiles.pool(path, session: session)
        if let unfinished = session.dropWorkInHand() { call.console.line(UpdateReport.discardLine(unfinished)) }
        call.console.line("PPO: \(iterations) iteration\(iterations == 1 ? "" : "s") of \(session.config.batchSize) "
            + "rollout\(session.config.batchSize == 1 ? "" : "s") each.")
        var history = TrainingHistory()
        let log = TrainingLog(session, algorithm: "ppo")
        let run = PPOTraining.run(trainer: session.trainer, iterations: iterations, promptPool: pool,
                                  random: &session.random) { event in
            // The REPL only renders: a bar per optimiser step, a history entry (and log line) per whole iteration.
            if event.moment == .iterationFinished {
                history.record(TrainingEvent(step: event.iteration, totalSteps: event.totalIterations,
                                             metrics: event.metrics))
                log?.record(step: event.iteration, metrics: event.metrics)
            }
            let detail = "iteration \(event.iteration)/\(event.totalIterations)  step "
                + "\(event.optimiserStep)/\(event.stepsPerIteration)"
            call.console.showProgress("train ppo "
                + "[\(Format.padRight(Bars.bar(event.fractionDone, width: 20), 20))] \(detail)")
            return call.console.interruptRequested() ? .stop : .proceed
        }
        if let last = run.iterations.last {
            session.batch = last.batch
            session.lastIteration = last
        }
        let whole = run.iterations.count
        let wholeText = "\(whole) whole iteration\(whole == 1 ? " was" : "s were") applied"
        if let unfinished = run.unfinished {
            // Stopped between two Adam steps: the update stays pending for `update`.
            session.batch = unfinished.batch
            session.pendingUpdate = unfinished
            call.console.line("Stopped in iteration \(whole + 1) after Adam step \(unfinished.stepsTaken) of "
                + "\(unfinished.plan.count): \(wholeText)\(whole > 0 ? " (metrics below)" : ""); in that iteration "
                + "\(UpdateReport.steps(unfinished.stepsTaken)) applied too, and `update` finishes its other "
                + "\(unfinished.plan.count - unfinished.stepsTaken).")
        } else if run.stoppedEarly {
            call.console.line("Stopped after iteration \(whole) of \(iterations): \(wholeText).")
        }
        let names = ["objective/scores", "gold/score", "objective/kl", "objective/entropy",
                     "policy/approxkl_avg", "policy/clipfrac_avg", "loss/value_avg"]
        if whole > 0 { report(call, history, names: names) }
        if let failure = run.failure {
            try? log?.finish()
            throw CommandError("train ppo: iteration \(failure.iteration) of \(iterations) failed (\(failure.error)); "
                + "\(wholeText)\(whole > 0 ? ", their metrics are above" : "")")
        }
        try log?.finish()
    }

    // MARK: - Progress and summaries

    /// A progress callback: a bar on a terminal, and Ctrl-C stops after the current step.
    static func reporter(_ call: Invocation, _ label: String) -> ProgressCallback {
        { event in
            let fraction = Double(event.step) / Double(max(event.totalSteps, 1))
            let loss = event.metrics.first.map { "  \($0.name) \(Format.fixed($0.value, 4))" } ?? ""
            call.console.showProgress("\(label) [\(Format.padRight(Bars.bar(fraction, width: 20), 20))] "
                + "\(event.step)/\(event.totalSteps)\(loss)")
            return call.console.interruptRequested() ? .stop : .proceed
        }
    }

    /// First and last value and a sparkline of each metric; `before` holds values measured
    /// before the first step (held-out metrics), which then open their series.
    static func report(_ call: Invocation, _ history: TrainingHistory, names: [String],
                       before: [String: Double] = [:]) {
        if history.stoppedEarly, let total = history.events.last?.totalSteps {
            call.console.line("Stopped after step \(history.events.count) of \(total): those steps are applied.")
        }
        var table = Table([.init("metric", .left), .init("first"), .init("last"), .init("", .left)])
        for name in names {
            // The sparkline draws the run itself; a value from before training only opens "first".
            let series = history.series(name)
            guard let first = before[name] ?? series.first, let last = series.last else { continue }
            table.add([name + (before[name] != nil ? " (first: before training)" : ""), Format.signed(first, 4),
                       Format.signed(last, 4), Bars.sparkline(series, width: 40)])
        }
        call.console.line(table.render())
        let notFinite = names.filter { history.series($0).contains { !$0.isFinite } }
        if !notFinite.isEmpty {
            let list = notFinite.joined(separator: ", ")
            call.console.line(Format.wrapped("Not finite (nan or inf) somewhere in: " + list + ". Adam skips any step "
                + "whose gradient is not finite, leaving the parameters as they were; a smaller learning_rate usually "
                + "keeps the numbers finite."))
        }
    }
}
