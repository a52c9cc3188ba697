import RLHFEngine
import RLHFStages

/// What happens after EOS: the reward, the advantages, and how credit flows back.
/// Each works on the finished episode, or on rollout N of the last batch.
enum InspectCommands {
    /// `reward`, and the verbs, which run `advantages` and `credit` below under PPO.
    static let all: [Command] = [reward, AlgorithmCommands.advantages, AlgorithmCommands.credit]

    static let reward = Command(
        "reward", aliases: ["r"], usage: "reward [N]",
        summary: "the reward model's score at EOS and the shaped reward of every token",
        details: """
            r_t = -beta * kl_t for every token, plus the reward model's score at the last one (EOS)
            (with score_position after_eos, at a slot one past EOS, as TRL's PPOv2 trainer).
            With N, rollout N of the last batch.
            """
    ) { call in
        let (rollout, source, batch, fromBatch) = try target(call)
        let session = call.session
        let beta = batch.klCoef
        let prompt = session.tokenizer.decode(rollout.promptTokens)
        call.console.line("\(source): \(prompt) -> \(session.tokenizer.decode(rollout.responseText))")
        let place = rollout.endedWithEOS ? "EOS token" : "last token"
        call.console.line("Reward model score, read once at the \(place): "
            + call.style.bold(Format.signed(rollout.rewardModelScore)))
        if rollout.scoredByRule {
            call.console.line("reward_source rule: the score is the annotator's rule, "
                + call.style.bold(Format.signed(rollout.score)) + " (the reward model's is shown for comparison).")
        } else if rollout.score != rollout.rewardModelScore {
            call.console.line("No EOS: missing_eos_penalty (\(batch.config.missingEOSMode.rawValue)) makes the score "
                + "\(Format.signed(rollout.score)).")
        }
        if let gold = rollout.goldScore {
            let terms = session.annotator.breakdown(prompt: rollout.promptTokens, response: rollout.responseText,
                                                    endedWithEOS: rollout.endedWithEOS)
            let reasons = terms.map { "\($0.reason) \(Format.signed($0.points, 1))" }.joined(separator: "; ")
            call.console.line("Annotator's gold score: "
                + "\(Format.signed(gold, 1))\(reasons.isEmpty ? "" : "  (\(reasons))")")
        }
        let estimator = fromBatch ? "as estimated when the batch was collected"
                                  : "estimator \(batch.config.klEstimator.rawValue)"
        call.console.line("Shaped reward per token, beta = \(Format.fixed(beta, 4)), kl \(estimator):")
        var table = Table([.init("t"), .init("token", .left), .init("log p"), .init("log p_ref"), .init("kl"),
                           .init("-beta*kl"), .init("+ score"), .init("= r_t")])
        for t in 0..<rollout.tokenCount {
            let scoreHere = t == rollout.tokenCount - 1 && rollout.afterEOS == nil
            table.add(["\(t)", token(session, rollout.responseTokens[t]), Format.fixed(rollout.logprobs[t]),
                       Format.fixed(rollout.refLogprobs[t]), Format.signed(rollout.kl[t], 4),
                       Format.signed(rollout.nonScoreRewards[t], 4), scoreHere ? Format.signed(rollout.score) : "",
                       Format.signed(rollout.rewards[t], 4)])
        }
        if let slot = rollout.afterEOS {
            table.add(["\(rollout.tokenCount)", "(after EOS)", "", "", "", "", Format.signed(rollout.score),
                       Format.signed(slot.reward, 4)])
        }
        call.console.line(table.render())
        call.console.line(rollout.afterEOS == nil
            ? "Only the last token receives the score; the others pay only their KL penalty."
            : "score_position after_eos: the score sits one slot after EOS (TRL's PPOv2); every token "
                + "pays only its KL.")
        if session.config.whitenRewards && !fromBatch && rollout.tokenCount < 2 {
            call.console.line("whiten_rewards is on, but one token cannot be whitened: these rewards are unwhitened.")
        }
        if fromBatch, let note = settingsNote(batch: batch, session: session) { call.console.line(note) }
    }

    /// `advantages [N]` under PPO: GAE per token, and the whitening.
    static func advantages(_ call: Invocation) throws {
        let (rollout, source, batch, fromBatch) = try target(call)
        let session = call.session
        let config = batch.config
        let after = rollout.afterEOS == nil ? "value after the last token = 0"
                                            : "the score one slot after EOS, V there = V(s after EOS)"
        call.console.line("\(source): GAE with gamma = \(Format.fixed(config.gamma, 2)), lambda = "
            + "\(Format.fixed(config.lam, 2)); \(after).")
        var table = Table([.init("t"), .init("token", .left), .init("r_t"), .init("V(s_t)"), .init("delta_t"),
                           .init("raw A_t"), .init("return"), .init("whitened A_t")])
        for t in 0..<rollout.tokenCount {
            table.add(["\(t)", token(session, rollout.responseTokens[t]), Format.signed(rollout.rewards[t]),
                       Format.signed(rollout.values[t]), Format.signed(rollout.deltas[t]),
                       Format.signed(rollout.rawAdvantages[t]), Format.signed(rollout.returns[t]),
                       batch.whitened ? Format.signed(rollout.advantages[t]) : "-"])
        }
        if let slot = rollout.afterEOS {
            table.add(["\(rollout.tokenCount)", "(after EOS)", Format.signed(slot.reward), Format.signed(slot.value),
                       Format.signed(slot.delta), Format.signed(slot.rawAdvantage), Format.signed(slot.return), ""])
        }
        call.console.line(table.render())
        if rollout.afterEOS != nil {
            call.console.line("The slot after EOS is no action: it is not whitened and has no policy loss (and, unlike "
                + "PPOv2, no value loss).")
        }
        guard batch.whitened else {
            call.console.line(whiteningNeedsTwoTokens)
            if fromBatch, let note = settingsNote(batch: batch, session: session) { call.console.line(note) }
            return
        }
        let all = batch.rollouts.flatMap(\.rawAdvantages)
        let (mean, spread) = try Advantages.whiteningStatistics(all)
        let over = fromBatch ? "all \(all.count) tokens of the batch" : "this episode's own \(all.count) tokens"
        call.console.line("whitened A_t = (raw A_t - \(Format.signed(mean))) / \(Format.fixed(spread)): the mean and "
            + "spread of raw A_t over \(over).")
        let positive = rollout.advantages.filter { $0 > 0 }.count
        let group = fromBatch ? "the batch" : "this episode's own tokens"
        let others = fromBatch ? "the batch's other tokens" : "the episode's other tokens"
        if rollout.score < 0 && positive > 0 {
            call.console.line("Whitened A_t is relative to \(group): this rollout scored "
                + "\(Format.signed(rollout.score)),\n"
                + "yet \(positive) of its \(rollout.tokenCount) tokens get a positive one: their raw A_t is above the "
                + "mean, so PPO makes them more likely,\nrelative to \(others).")
        } else if rollout.score > 0 && positive < rollout.tokenCount {
            call.console.line("Whitened A_t is relative to \(group): this rollout scored "
                + "\(Format.signed(rollout.score)),\n"
                + "yet \(rollout.tokenCount - positive) of its \(rollout.tokenCount) tokens get a negative "
                + "one: their raw "
                + "A_t is below the mean, so PPO makes them less likely,\nrelative to \(others).")
        }
        if fromBatch, let note = settingsNote(batch: batch, session: session) { call.console.line(note) }
    }

    /// `credit [N]` under PPO: each raw A_t split into score, KL and critic parts.
    static func credit(_ call: Invocation) throws {
        let (rollout, source, batch, fromBatch) = try target(call)
        let session = call.session
        let parts = CreditAssignment.split(rollout, gamma: batch.config.gamma, lambda: batch.config.lam)
        let scale = max(parts.flatMap { [abs($0.score), abs($0.kl), abs($0.critic), abs($0.total)] }.max() ?? 1, 1e-9)
        call.console.line("\(source): where each token's raw advantage A_t comes from (bars share one scale, "
            + "\(Format.fixed(scale)) = full):")
        var table = Table([.init("t"), .init("token", .left), .init("raw A_t"), .init("score"), .init("", .left),
                           .init("KL"), .init("", .left), .init("critic"), .init("", .left)])
        for (t, part) in parts.enumerated() {
            let name = t < rollout.tokenCount ? token(session, rollout.responseTokens[t]) : "(after EOS)"
            table.add(["\(t)", name, Format.signed(part.total),
                       Format.signed(part.score), Bars.diverging(part.score, scale: scale, width: 5),
                       Format.signed(part.kl), Bars.diverging(part.kl, scale: scale, width: 5),
                       Format.signed(part.critic), Bars.diverging(part.critic, scale: scale, width: 5)])
        }
        call.console.line(table.render())
        call.console.line(rollout.afterEOS == nil
            ? "The score reaches token t shrunk by (gamma*lambda)^(steps to EOS); the critic's guesses carry the rest."
            : "The score reaches EOS from the slot after it, shrunk by gamma*lambda, and the critic's V there is "
                + "subtracted: unless gamma = lambda = 1 that is not the same as the score on EOS.")
        if batch.config.whitenRewards {
            call.console.line("(whiten_rewards is on: the score and KL parts are those of the whitened rewards.)")
        }
        if !batch.whitened { call.console.line(whiteningNeedsTwoTokens) }
        if fromBatch, let note = settingsNote(batch: batch, session: session) { call.console.line(note) }
    }

    // MARK: - Helpers

    static let whiteningNeedsTwoTokens = "No whitened A_t: whitening divides by the spread of raw A_t, and one number "
        + "has none\n(its variance divides by n - 1 = 0): it needs two or more tokens. In a batch, this "
        + "raw A_t would be "
        + "whitened with the others."

    /// Rollout N of the last batch, or the finished episode prepared alone, with its label, the batch it
    /// belongs to (its beta and settings), and whether it came from the last batch.
    static func target(_ call: Invocation) throws -> (rollout: Rollout, label: String, batch: RolloutBatch,
                                                       fromBatch: Bool) {
        let session = call.session
        try call.expectAtMost(1)
        if !call.arguments.isEmpty {
            guard let batch = session.batch else {
                let algorithm = session.algorithms.algorithm
                guard algorithm == .ppo else {
                    // A group batch has no per-token shaped rewards to open: say where its numbers are.
                    throw CommandError("N names a rollout of a PPO batch, and there is none: under "
                        + "\(algorithm.rawValue), `batch` lists each completion's score and `advantages` its "
                        + "advantage (`set algorithm ppo`, then `batch N`, collects a PPO batch)")
                }
                throw CommandError("no batch yet: `batch N` collects one")
            }
            let index = try call.integer(0, name: "N", range: 0...(batch.rollouts.count - 1))
            return (batch.rollouts[index], "rollout \(index)", batch, true)
        }
        guard let episode = session.episode else {
            throw CommandError("no episode: `prompt TEXT` starts one (or give N for rollout N of the last batch)")
        }
        guard episode.endedWithEOS || EpisodeCommands.atLimit(session, episode) else {
            throw CommandError("the episode has not ended: the reward arrives only at EOS (`finish` runs to the end)")
        }
        let rollouts = session.trainer.collector.record(
            prompts: [episode.prompt],
            responses: [Continuation(tokens: episode.response, endedWithEOS: episode.endedWithEOS)])
        // One token has no spread to whiten by: its rewards and advantages stay raw.
        let whitenable = episode.response.count >= 2
        var config = session.trainer.config
        if !whitenable { config.whitenRewards = false }
        let prepared = try PPOTrainer.prepare(rollouts, config: config, klCoef: session.trainer.klCoef,
                                              whitenAdvantages: whitenable)
        return (prepared.rollouts[0], "this episode", prepared, false)
    }

    /// A line naming the settings that changed since `batch` was computed, or nil when none did.
    static func settingsNote(batch: RolloutBatch, session: Session,
                             what: String = "the numbers above use the batch's") -> String? {
        let changed = batch.config.batchSettingsDiffering(from: session.config)
        guard !changed.isEmpty else { return nil }
        let list = changed.map { "\($0.name) \($0.value) (now \($0.other))" }.joined(separator: ", ")
        return "Settings changed since this batch was computed: \(list);\n\(what). `batch N` collects one with today's."
    }

    static func token(_ session: Session, _ id: Int) -> String { Format.token(session.tokenizer.tokens[id]) }
}
