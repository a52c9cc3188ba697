import RLHFEngine
import RLHFStages

/// How a PPO update is shown: one line per step, the per-token detail of a step, and
/// the summary with TRL's metrics and how each token's probability moved.
enum UpdateReport {
    static func minibatchLine(_ record: MinibatchRecord) -> String {
        let rollouts = record.rolloutIndices.map(String.init).joined(separator: ",")
        return "  epoch \(record.epoch) minibatch \(record.minibatch): rollouts \(rollouts)"
            + "  pg_loss \(Format.signed(record.pgLoss, 4))  vf_loss \(Format.fixed(record.vfLoss, 4))"
            + "  clipfrac \(Format.fixed(record.clipfrac))  approxkl \(Format.fixed(record.approxkl, 4))"
    }

    /// An update stopped between two steps (Ctrl-C): what is applied, and how to go on.
    static func unfinishedLine(_ update: UpdateInProgress) -> String {
        "Stopped after Adam step \(update.stepsTaken) of \(update.plan.count): \(steps(update.stepsTaken)) applied "
            + "to the policy; `update` finishes the other \(update.plan.count - update.stepsTaken)."
    }

    /// "1 step is" or "3 steps are".
    static func steps(_ count: Int) -> String { count == 1 ? "1 step is" : "\(count) steps are" }

    /// A new batch or training run replaces an update stopped part-way.
    static func discardLine(_ update: UpdateInProgress) -> String {
        "(The unfinished update of the last batch is discarded: \(update.stepsTaken) of its \(update.plan.count) "
            + "Adam steps stay applied to the policy; the other \(update.plan.count - update.stepsTaken) are not "
            + "taken.)"
    }

    static func minibatchDetail(_ record: MinibatchRecord, batch: RolloutBatch, session: Session, style: Style,
                                console: Console) {
        let rollouts = record.rolloutIndices.map(String.init).joined(separator: ", ")
        console.line("Epoch \(record.epoch), minibatch \(record.minibatch): rollouts \(rollouts).")
        let low = Format.fixed(1 - session.config.cliprange, 2), high = Format.fixed(1 + session.config.cliprange, 2)
        console.line("ratio = exp(log p_new - log p_old); term = max(-A ratio, -A clip(ratio, \(low), \(high))), "
            + "A = whitened A_t")
        var table = Table([.init("roll"), .init("t"), .init("token", .left), .init("whitened A_t"), .init("log p_old"),
                           .init("log p_new"), .init("ratio"), .init("clipped", .left), .init("term")])
        for (position, index) in record.rolloutIndices.enumerated() {
            let rollout = batch.rollouts[index]
            for t in 0..<rollout.tokenCount {
                let clipped = record.policyClipped(position, t)
                table.add(["\(index)", "\(t)", Format.token(session.tokenizer.tokens[rollout.responseTokens[t]]),
                           Format.signed(rollout.advantages[t]), Format.fixed(rollout.logprobs[t]),
                           Format.fixed(record.newLogprobs[position][t]), Format.fixed(record.ratio[position][t], 4),
                           clipped ? style.yellow("yes") : "", Format.signed(record.policyTerm(position, t), 4)])
            }
        }
        console.line(table.render())
        console.line("  pg_loss \(Format.signed(record.pgLoss, 4)) (mean of the terms)"
            + "  vf_loss \(Format.fixed(record.vfLoss, 4))  loss \(Format.signed(record.loss, 4))"
            + "  clipfrac \(Format.fixed(record.clipfrac))  approxkl \(Format.fixed(record.approxkl, 5))"
            + "  grad_norm \(Format.fixed(record.gradNorm))")
        console.line(afterStep("these are from the forward pass before this step", gradNorm: Double(record.gradNorm)))
    }

    /// The line under an opened step: what the numbers are from, and whether Adam then moved the parameters
    /// (it skips a step whose gradient norm is not finite, `Adam.step`).
    static func afterStep(_ source: String, gradNorm: Double) -> String {
        gradNorm.isFinite ? "  (\(source); the Adam step then moved the parameters)"
            : "  (\(source); grad_norm is \(Format.fixed(gradNorm)), so Adam skipped this step: the parameters did "
                + "not move)"
    }

    static func summary(_ iteration: PPOIteration, session: Session, style: Style, console: Console) {
        console.line("Update finished. TRL's metrics for this iteration:")
        var table = Table([.init("metric", .left), .init("value")])
        for metric in iteration.metrics { table.add([metric.name, Format.signed(metric.value, 4)]) }
        console.line(table.render())
        console.line("How the probability of each taken token moved (largest changes first):")
        let moves = iteration.probabilityMoves
        var moved = Table([.init("roll"), .init("t"), .init("token", .left), .init("whitened A_t"), .init("p before"),
                           .init("p after"), .init("change")])
        for move in moves.prefix(10) {
            let token = iteration.batch.rollouts[move.rollout].responseTokens[move.t]
            moved.add(["\(move.rollout)", "\(move.t)", Format.token(session.tokenizer.tokens[token]),
                       Format.signed(move.advantage), Format.fixed(move.before, 4), Format.fixed(move.after, 4),
                       style.signColored(Format.signed(move.change, 4), move.change)])
        }
        console.line(moved.render())
        let agreeing = moves.filter(\.followsAdvantage).count
        console.line("  \(agreeing) of \(moves.count) tokens moved in the direction of their advantage "
            + "(up if whitened A_t > 0, down if < 0).")
    }
}
