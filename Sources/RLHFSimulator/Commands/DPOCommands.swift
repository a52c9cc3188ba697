import RLHFEngine
import RLHFStages

/// DPO at the prompt: `train dpo N [FILE]` (dispatched from `train`) and `pairs`, the per-pair
/// view of what DPO computes. The maths lives in RLHFStages (`DPOLoss`, `DPOTrainer`).
enum DPOCommands {
    static let all: [Command] = [pairs]

    static let pairs = Command(
        "pairs", usage: "pairs [N] [FILE]",
        summary: "preference pairs as DPO sees them: log-probs under policy and SFT, implicit rewards, margin, loss",
        details: """
            For the first N pairs (default 4) of FILE (the seed's or TRL's preference format) or of the world's
            held-out pairs: log pi and log pi_ref, the summed log-probabilities of the chosen and the rejected
            completion (EOS included; with loss_type ipo, their means per token) under the policy and the
            reference (the SFT model); the implicit rewards
            beta (log pi - log pi_ref); the margin, chosen reward minus rejected reward; and the pair's loss under
            the dpo.* settings. Then TRL's metrics over every pair of the file, under their eval_ names.
            Before any training the policy is the SFT model: every reward is 0 and every sigmoid loss log 2.
            """
    ) { call in
        let session = call.session
        let count = try call.integer(0, name: "N", default: 4, range: 1...1000)
        try call.expectAtMost(2)
        let file = call.arguments.count > 1 ? call.arguments[1] : nil
        let (all, trainer) = try pairsAndTrainer(call, file: file)
        let shown = Array(all.prefix(count))
        let config = session.dpoConfig
        let logpKind = config.lossType.averagesLogProbs ? "mean log-prob per token" : "summed log-probs"
        call.console.line("\(shown.count) of the \(all.count) \(file.map { "pairs of \($0)" } ?? "held-out pairs"); "
            + "\(logpKind), beta \(Format.short(config.beta)), loss_type \(config.lossType.rawValue):")
        var table = Table([.init("pair"), .init("prompt", .left), .init("completion", .left), .init("log pi"),
                           .init("log pi_ref"), .init("reward"), .init("margin"), .init("loss")])
        for (index, (pair, readout)) in zip(shown, trainer.readouts(shown)).enumerated() {
            table.add(["\(index + 1)", pair.promptText, "chosen:   \(pair.chosenText)",
                       Format.fixed(readout.chosenLogp), Format.fixed(readout.referenceChosenLogp),
                       Format.signed(readout.chosenReward, 4),
                       Format.signed(readout.margin, 4), Format.fixed(readout.loss, 4)])
            table.add(["", "", "rejected: \(pair.rejectedText)", Format.fixed(readout.rejectedLogp),
                       Format.fixed(readout.referenceRejectedLogp), Format.signed(readout.rejectedReward, 4), "", ""])
        }
        call.console.line(table.render())
        call.console.line("reward = beta (log pi - log pi_ref); margin = reward(chosen) - reward(rejected); "
            + lossFormula(config))
        let metrics = trainer.evaluate(all)
        call.console.line(Format.wrapped("Over all \(all.count) pairs: "
            + metrics.map { "\($0.name) \(Format.signed($0.value, 4))" }.joined(separator: ", ")))
    }

    /// The loss of one pair under `config`, as a line of text.
    static func lossFormula(_ config: DPOConfig) -> String {
        switch config.lossType {
        case .sigmoid where config.labelSmoothing != 0:
            return "loss = -(1 - eps) log sigmoid(margin) - eps log sigmoid(-margin), "
                + "eps \(Format.short(config.labelSmoothing))."
        case .sigmoid: return "loss = -log sigmoid(margin)."
        case .hinge: return "loss = max(0, 1 - margin)."
        case .ipo: return "loss = (margin / beta - 1 / (2 beta))^2."
        }
    }

    /// The preference pairs of the file at `path`, each of which the policy and the SFT model (DPO's
    /// reference) can hold: a longer pair is refused with its FILE:LINE.
    private static func loadPairs(path: String, session: Session) throws -> [PreferencePair] {
        let context = min(session.policy.model.config.contextLength, session.sft.config.contextLength)
        return try DataFiles.loadPreferences(path: path, tokenizer: session.tokenizer, contextLength: context)
    }

    /// `export dpo FILE [PAIRS]`: the DPO trace of PAIRS' pairs or the held-out ones (docs/dpo.md).
    /// The preference pairs of `file` (the held-out ones without), and a DPO trainer on the session's policy and
    /// SFT model with its dpo.* settings.
    private static func pairsAndTrainer(_ call: Invocation, file: String?) throws -> ([PreferencePair], DPOTrainer) {
        let session = call.session
        let pairs = try file.map { try loadPairs(path: call.interpreter.resolve($0), session: session) }
            ?? session.data.preferenceHeldOut
        guard !pairs.isEmpty else { throw CommandError("\(file ?? "the held-out pairs"): no preference pairs") }
        let trainer = DPOTrainer(policy: session.policy.model, reference: session.sft, tokenizer: session.tokenizer,
                                 config: session.dpoConfig)
        return (pairs, trainer)
    }

    static func export(_ call: Invocation) throws {
        guard (2...3).contains(call.arguments.count) else { throw call.usageError() }
        let session = call.session
        let (pairs, trainer) = try pairsAndTrainer(call, file: call.arguments.count == 3 ? call.arguments[2] : nil)
        try DPOTraceExport.write(trainer: trainer, pairs: pairs, tokenizer: session.tokenizer, to: call.arguments[1])
        call.console.line("Wrote \(call.arguments[1]): \(pairs.count) pairs, each token's log-prob under the policy "
            + "and the SFT model, the implicit rewards and the losses (docs/dpo.md).")
    }

    /// `train dpo N [FILE]`: N optimiser steps of DPO on the policy, the SFT model as reference.
    static func train(_ call: Invocation, steps: Int, file: String?, path: String?) throws {
        let session = call.session
        let training = try path.map { try loadPairs(path: $0, session: session) } ?? session.data.preferenceTraining
        guard !training.isEmpty else { throw CommandError("\(file ?? "the training pairs"): no preference pairs") }
        let config = session.dpoConfig
        let trainer = DPOTrainer(policy: session.policy.model, reference: session.sft, tokenizer: session.tokenizer,
                                 config: config)
        let log = TrainingLog(session, algorithm: "dpo")
        if log != nil {
            // For the log, gold/score and kl_to_sft of 4 draws per held-out prompt after each step.
            let collector = RolloutCollector(policy: session.policy, reference: session.sft,
                                             rewardModel: session.reward, annotator: session.annotator,
                                             tokenizer: session.tokenizer, config: session.config)
            trainer.heldOutSampling = HeldOutSampling(collector: collector,
                                                      prompts: session.data.heldOutPrompts.map(\.tokens), perPrompt: 4)
        }
        let source = file.map { "of \($0)" } ?? "training pairs"
        let batch = config.perDeviceTrainBatchSize
        call.console.line(Format.wrapped("DPO: \(steps) step\(steps == 1 ? "" : "s") of \(batch) pairs "
            + "from the \(training.count) \(source), beta \(Format.short(config.beta)), "
            + "loss_type \(config.lossType.rawValue); the reference is the SFT model, and no reward model is used."))
        let heldOut = session.data.preferenceHeldOut
        let before = Dictionary(uniqueKeysWithValues: trainer.evaluate(heldOut).map { ($0.name, $0.value) })
        if let unfinished = session.dropWorkInHand() { call.console.line(UpdateReport.discardLine(unfinished)) }
        let reporter = TrainCommands.reporter(call, "train dpo")
        let history = trainer.train(training: training, heldOut: heldOut, steps: steps,
                                    random: &session.random) { event in
            log?.record(step: event.step, metrics: event.metrics)
            return reporter(event)
        }
        TrainCommands.report(call, history, names: ["loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
                                                    "rewards/margins", "logps/chosen", "logps/rejected", "eval_loss",
                                                    "eval_rewards/accuracies", "eval_rewards/margins"], before: before)
        call.console.line("The policy is now the DPO model: `evaluate` compares it with the SFT model, "
            + "`pairs` opens pairs up.")
        try log?.finish()
    }
}

/// DPO's entry among the algorithms `train` runs (`AlgorithmViewTable.training`): offline, it
/// collects no batch, so the online verbs have no DPO form; `pairs` and `export dpo` are its views.
struct DPOViews: TrainingView {
    let name = "dpo"
    let trainHelp = """
        train dpo N [FILE]  N DPO steps on the policy from FILE's preference pairs or the built-in ones, the SFT
                            model as the reference and no reward model (settings dpo.*; `pairs` shows pairs).
        """

    func train(_ call: Invocation, steps: Int, file: String?, path: String?) throws {
        try DPOCommands.train(call, steps: steps, file: file, path: path)
    }
}
