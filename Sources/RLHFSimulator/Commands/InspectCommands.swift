import RLHFEngine
import RLHFStages

/// What happens after EOS: the reward, the advantages, and how credit flows back.
/// Each works on the finished episode, or on rollout N of the last batch.
enum InspectCommands {
    static let all: [Command] = [reward, advantages, credit]

    static let reward = Command(
        "reward", aliases: ["r"], usage: "reward [N]",
        summary: "the reward model's score at EOS and the shaped reward of every token",
        details: "r_t = -beta * kl_t for every token, plus the reward model's score at the last one (EOS).\nWith N, rollout N of the last batch."
    ) { call in
        let (rollout, source, beta, fromBatch) = try target(call)
        let session = call.session
        call.console.line("\(source): \(session.tokenizer.decode(rollout.promptTokens)) -> \(session.tokenizer.decode(rollout.responseText))")
        call.console.line("Reward model score, read once at the \(rollout.endedWithEOS ? "EOS token" : "last token"): \(call.style.bold(Format.signed(rollout.rewardModelScore)))")
        if rollout.score != rollout.rewardModelScore {
            call.console.line("No EOS: missing_eos_penalty (\(session.config.missingEOSMode.rawValue)) makes the score \(Format.signed(rollout.score)).")
        }
        if let gold = rollout.goldScore {
            let terms = session.annotator.breakdown(prompt: rollout.promptTokens, response: rollout.responseText,
                                                    endedWithEOS: rollout.endedWithEOS)
            let reasons = terms.map { "\($0.reason) \(Format.signed($0.points, 1))" }.joined(separator: "; ")
            call.console.line("Annotator's gold score: \(Format.signed(gold, 1))\(reasons.isEmpty ? "" : "  (\(reasons))")")
        }
        let estimator = fromBatch ? "as estimated when the batch was collected" : "estimator \(session.config.klEstimator.rawValue)"
        call.console.line("Shaped reward per token, beta = \(Format.fixed(beta, 4)), kl \(estimator):")
        var table = Table([.init("t"), .init("token", .left), .init("log p"), .init("log p_ref"), .init("kl"),
                           .init("-beta*kl"), .init("+ score"), .init("= r_t")])
        for t in 0..<rollout.tokenCount {
            let last = t == rollout.tokenCount - 1
            table.add(["\(t)", token(session, rollout.responseTokens[t]), Format.fixed(rollout.logprobs[t]),
                       Format.fixed(rollout.refLogprobs[t]), Format.signed(rollout.kl[t], 4),
                       Format.signed(-beta * rollout.kl[t], 4), last ? Format.signed(rollout.score) : "",
                       Format.signed(rollout.rewards[t], 4)])
        }
        call.console.line(table.render())
        call.console.line("Only the last token receives the score; the others pay only their KL penalty.")
    }

    static let advantages = Command(
        "advantages", aliases: ["adv", "a"], usage: "advantages [N]",
        summary: "per token: r_t, V(s_t), delta_t, A_t (GAE), the return and the whitened A_t",
        details: "delta_t = r_t + gamma V(s_t+1) - V(s_t), with V after the last token = 0;\nA_t = delta_t + gamma lambda A_t+1; return_t = A_t + V(s_t); the policy loss uses whitened A_t."
    ) { call in
        let (rollout, source, _, fromBatch) = try target(call)
        let session = call.session
        call.console.line("\(source): GAE with gamma = \(Format.fixed(session.config.gamma, 2)), lambda = \(Format.fixed(session.config.lam, 2)); value after the last token = 0.")
        var table = Table([.init("t"), .init("token", .left), .init("r_t"), .init("V(s_t)"), .init("delta_t"),
                           .init("A_t"), .init("return"), .init("A_t whitened")])
        for t in 0..<rollout.tokenCount {
            table.add(["\(t)", token(session, rollout.responseTokens[t]), Format.signed(rollout.rewards[t]),
                       Format.signed(rollout.values[t]), Format.signed(rollout.deltas[t]), Format.signed(rollout.rawAdvantages[t]),
                       Format.signed(rollout.returns[t]), Format.signed(rollout.advantages[t])])
        }
        call.console.line(table.render())
        call.console.line(fromBatch
            ? "Whitening uses the mean and spread of A_t over all \(session.batch?.tokenCount ?? 0) tokens of the batch."
            : "Whitening here uses this episode's own \(rollout.tokenCount) tokens (in a batch, all of the batch's tokens).")
    }

    static let credit = Command(
        "credit", aliases: ["c"], usage: "credit [N]",
        summary: "credit assignment: each A_t split into terminal score, KL penalties and critic",
        details: "With c = gamma * lambda, A_t = sum_l c^l delta_t+l splits exactly into\n  score part  = c^(T-1-t) * score   (the reward given only at EOS, discounted back)\n  KL part     = sum_l c^l (-beta kl_t+l)\n  critic part = sum_l c^l (gamma V(s_t+l+1) - V(s_t+l))"
    ) { call in
        let (rollout, source, _, _) = try target(call)
        let session = call.session
        let parts = CreditAssignment.split(rollout, gamma: session.config.gamma, lambda: session.config.lam)
        let scale = max(parts.flatMap { [abs($0.score), abs($0.kl), abs($0.critic), abs($0.total)] }.max() ?? 1, 1e-9)
        call.console.line("\(source): where each token's advantage A_t comes from (bars share one scale, \(Format.fixed(scale)) = full):")
        var table = Table([.init("t"), .init("token", .left), .init("A_t"), .init("score"), .init("", .left), .init("KL"),
                           .init("", .left), .init("critic"), .init("", .left)])
        for (t, part) in parts.enumerated() {
            table.add(["\(t)", token(session, rollout.responseTokens[t]), Format.signed(part.total),
                       Format.signed(part.score), Bars.diverging(part.score, scale: scale, width: 5),
                       Format.signed(part.kl), Bars.diverging(part.kl, scale: scale, width: 5),
                       Format.signed(part.critic), Bars.diverging(part.critic, scale: scale, width: 5)])
        }
        call.console.line(table.render())
        call.console.line("The score reaches token t shrunk by (gamma*lambda)^(steps to EOS); the critic's guesses carry the rest.")
        if session.config.whitenRewards {
            call.console.line("(whiten_rewards is on: the score and KL parts are those of the whitened rewards.)")
        }
    }

    // MARK: - Helpers

    /// Rollout N of the last batch, or the finished episode prepared alone, with its
    /// label, the beta its rewards were shaped with, and whether it came from the batch.
    static func target(_ call: Invocation) throws -> (rollout: Rollout, label: String, klCoef: Double, fromBatch: Bool) {
        let session = call.session
        try call.expectAtMost(1, usage: "reward|advantages|credit [N]")
        if !call.arguments.isEmpty {
            guard let batch = session.batch else { throw CommandError("no batch yet: `batch N` collects one") }
            let index = try call.integer(0, name: "N", range: 0...(batch.rollouts.count - 1))
            return (batch.rollouts[index], "rollout \(index)", batch.klCoef, true)
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
        let prepared = try session.trainer.prepare(rollouts)
        return (prepared.rollouts[0], "this episode", prepared.klCoef, false)
    }

    static func token(_ session: Session, _ id: Int) -> String { Format.token(session.tokenizer.tokens[id]) }
}

/// The exact split of each GAE advantage into the part that came from the terminal
/// score, from the KL penalties, and from the critic's value estimates.
public enum CreditAssignment {
    public struct Parts: Equatable, Sendable {
        public let score: Double
        public let kl: Double
        public let critic: Double
        public var total: Double { score + kl + critic }
    }

    /// With c = gamma lambda and the score s at the last token:
    ///   score_t = sum_l c^l s_{t+l},  kl_t = sum_l c^l (r_{t+l} - s_{t+l}),
    ///   critic_t = sum_l c^l (gamma V_{t+l+1} - V_{t+l}),  V_T = 0.
    public static func split(_ rollout: Rollout, gamma: Double, lambda: Double) -> [Parts] {
        let count = rollout.tokenCount
        let last = count - 1
        let scoreAtLast = rollout.rewards[last] - rollout.nonScoreRewards[last]
        var parts = [Parts](repeating: Parts(score: 0, kl: 0, critic: 0), count: count)
        var next = Parts(score: 0, kl: 0, critic: 0)
        for t in stride(from: last, through: 0, by: -1) {
            let nextValue = t < last ? rollout.values[t + 1] : 0
            let c = gamma * lambda
            next = Parts(score: (t == last ? scoreAtLast : 0) + c * next.score,
                         kl: (rollout.rewards[t] - (t == last ? scoreAtLast : 0)) + c * next.kl,
                         critic: (gamma * nextValue - rollout.values[t]) + c * next.critic)
            parts[t] = next
        }
        return parts
    }
}
