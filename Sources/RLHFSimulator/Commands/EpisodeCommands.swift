import RLHFEngine
import RLHFStages

/// Stepping through one episode: the state is the prompt plus the tokens so far, an
/// action is the next token.
enum EpisodeCommands {
    static let all: [Command] = [prompt, state, logits, step, back, finish]

    static let prompt = Command(
        "prompt", aliases: ["p"], usage: "prompt TEXT",
        summary: "start a new episode from TEXT (or a random training prompt)",
        details: "The prompt is the first state s0. Without TEXT a prompt is drawn from PPO's training prompts.",
        complete: { session, _ in session.tokenizer.tokens.filter { !$0.hasPrefix("<") } }
    ) { call in
        let session = call.session
        let tokens = call.rest.isEmpty ? session.randomTrainingPrompt()
                                       : try session.tokenizer.encode(call.rest, source: "prompt")
        guard !tokens.isEmpty else { throw CommandError("the prompt has no words") }
        try PromptRoom.check(tokens, session: session, source: "prompt")
        session.episode = Episode(prompt: tokens, eosID: session.tokenizer.eosID)
        call.console.line("New episode. State s0 is the prompt (\(tokens.count) token\(tokens.count == 1 ? "" : "s")):")
        call.console.line("  \(call.style.bold(session.tokenizer.decode(tokens)))")
        call.console.line("The policy now picks one token at a time: `logits` shows its options, `step` takes one.")
    }

    static let state = Command("state", usage: "state",
                               summary: "show the prompt and the tokens generated so far") { call in
        let (session, episode) = try current(call)
        let t = episode.response.count
        call.console.line("State s\(t) = prompt + \(t) response token\(t == 1 ? "" : "s"):")
        call.console.line("  prompt   : \(session.tokenizer.decode(episode.prompt))")
        call.console.line("  response : \(responseText(session, episode))")
        if episode.endedWithEOS {
            call.console.line("The episode has ended with EOS: `reward` shows its score.")
        } else if atLimit(session, episode) {
            call.console.line(Format.wrapped("The response reached \(limitName(session, episode)) without EOS."))
        } else {
            call.console.line("Next action: token a\(t), chosen from pi(. | s\(t)).")
        }
    }

    static let logits = Command(
        "logits", aliases: ["l"], usage: "logits [K]",
        summary: "the K most likely next tokens: logit, policy and reference probability",
        details: """
            p(policy) is softmax(logits / temperature) over the whole vocabulary: what log-probs, the KL and
            PPO use; with top_k set, p(sampled) is the distribution `step` samples from (the top_k tokens,
            renormalised); p(ref) is the frozen SFT model's, at the same temperature.
            """
    ) { call in
        let (session, episode) = try current(call)
        try call.expectAtMost(1)
        let k = try call.integer(0, name: "K", default: 10, range: 1...session.tokenizer.vocabularySize)
        let logits = session.policy.model.nextTokenLogits(episode.state)
        let temperature = Float(session.config.temperature)
        let sampled = sampler(session).probabilities(logits: logits)
        let full = Sampler(temperature: temperature).probabilities(logits: logits)
        let refProbabilities = Sampler(temperature: temperature)
            .probabilities(logits: session.sft.nextTokenLogits(episode.state))
        let truncated = session.config.topK > 0 && session.config.topK < logits.count
        let ranked = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }.prefix(k)
        call.console.line("Next token after s\(episode.response.count) (\"\(tail(session, episode))\"), top \(k) of "
            + "\(logits.count):")
        var columns: [Table.Column] = [.init("token", .left), .init("logit")]
        if truncated { columns += [.init("p(sampled, top_k \(session.config.topK))")] }
        columns += [.init("p(policy)"), .init("", .left), .init("p(ref)")]
        var table = Table(columns)
        for id in ranked {
            let shown = truncated ? sampled[id] : full[id]
            table.add([Format.token(session.tokenizer.tokens[id]), Format.fixed(Double(logits[id]))]
                + (truncated ? [Format.fixed(sampled[id], 4)] : [])
                + [Format.fixed(full[id], 4), Bars.bar(shown, width: 20), Format.fixed(refProbabilities[id], 4)])
        }
        call.console.line(table.render())
        if truncated {
            call.console.line("`step` samples from p(sampled); log p, the KL and PPO's ratio use p(policy), "
                + "the full softmax.")
        }
    }

    static let step = Command(
        "step", aliases: ["s", "n", "next"], usage: "step [WORD]",
        summary: "take one action: sample the next token, or force WORD",
        details: "Prints the token, its probability and log-probability under the policy, the reference\n"
            + "log-probability, the per-token KL estimate and the critic's value V(s_t) of the state it was taken "
            + "in.\nAn empty line repeats `step`.",
        complete: { session, arguments in arguments.isEmpty ? session.tokenizer.tokens + ["eos"] : [] }
    ) { call in
        let (session, episode) = try current(call)
        try call.expectAtMost(1)
        try requireRoom(session, episode)
        let token = try call.arguments.first.map { try word($0, session) }
        let record = takeStep(session, forcing: token)
        call.console.line(describe(record, session: session, style: call.style))
        afterStep(call)
    }

    static let back = Command("back", aliases: ["b", "undo"], usage: "back", summary: "undo the last step") { call in
        let (session, episode) = try current(call)
        guard let last = episode.response.last else {
            throw CommandError("nothing to undo: the state is the prompt alone")
        }
        session.episode!.response.removeLast()
        call.console.line("Undid a\(episode.response.count - 1) = "
            + "\"\(Format.token(session.tokenizer.tokens[last]))\"; back in state s\(episode.response.count - 1).")
    }

    static let finish = Command("finish", aliases: ["f"], usage: "finish",
                                summary: "step until EOS or the maximum length") { call in
        let (session, episode) = try current(call)
        try requireRoom(session, episode)
        while let current = session.episode, !current.endedWithEOS, !atLimit(session, current) {
            if call.console.interruptRequested() { break }
            call.console.line(describe(takeStep(session, forcing: nil), session: session, style: call.style))
        }
        afterStep(call)
    }

    // MARK: - Shared helpers

    struct StepRecord {
        let t: Int
        let token: Int
        let forced: Bool
        /// Its probability, log-probs, KL and V(s_t), as RLHFStages reads them.
        let action: ActionReadout
    }

    /// Samples (or forces) one token and reads its numbers through the same batched pass rollouts use.
    static func takeStep(_ session: Session, forcing forced: Int?) -> StepRecord {
        let episode = session.episode!
        let logits = session.policy.model.nextTokenLogits(episode.state)
        let token = forced ?? sampler(session).sample(logits: logits, random: &session.random)
        session.episode!.response.append(token)
        let action = session.trainer.collector.readLastAction(
            PromptResponse(prompt: episode.prompt, response: session.episode!.response),
            estimator: session.config.klEstimator)
        return StepRecord(t: episode.response.count, token: token, forced: forced != nil, action: action)
    }

    static func describe(_ record: StepRecord, session: Session, style: Style) -> String {
        let name = Format.token(session.tokenizer.tokens[record.token])
        let how = record.forced ? "forced" : "sampled"
        let action = record.action
        return "s\(record.t) -> a\(record.t) = \(style.bold("\"\(name)\""))  (\(how), p = "
            + "\(Format.fixed(action.probability, 4)))\n"
            + "  log p = \(Format.fixed(action.logprob))   log p_ref = \(Format.fixed(action.refLogprob))   "
            + "kl(\(session.config.klEstimator.rawValue)) = \(Format.signed(action.kl))   V(s\(record.t)) = "
            + "\(Format.signed(action.value))"
    }

    static func afterStep(_ call: Invocation) {
        guard let episode = call.session.episode else { return }
        if episode.endedWithEOS {
            call.console.line("EOS: the episode is over. Its reward arrives now, at this last token: try `reward`.")
        } else if atLimit(call.session, episode) {
            call.console.line(Format.wrapped("Reached \(limitName(call.session, episode)) without EOS: `reward` "
                + "applies the missing-EOS rule."))
        }
    }

    static func current(_ call: Invocation) throws -> (Session, Episode) {
        guard let episode = call.session.episode else {
            throw CommandError("no episode yet: start one with `prompt TEXT`")
        }
        return (call.session, episode)
    }

    static func requireRoom(_ session: Session, _ episode: Episode) throws {
        if episode.endedWithEOS {
            throw CommandError("the episode has ended with EOS; `back` undoes it, `prompt` starts another")
        }
        if atLimit(session, episode) {
            throw CommandError("the response is at \(limitName(session, episode)); `back` or `prompt`")
        }
    }

    /// What stops the response: response_length, or the context when it leaves less room than that.
    static func limitName(_ session: Session, _ episode: Episode) -> String {
        let room = session.trainer.collector.responseRoom(promptLength: episode.prompt.count)
        guard room < session.config.responseLength else { return "response_length (\(session.config.responseLength))" }
        return "the context's room of \(room) tokens (n_positions \(session.policy.model.config.contextLength) after "
            + "the \(episode.prompt.count)-token prompt; response_length is \(session.config.responseLength))"
    }

    static func atLimit(_ session: Session, _ episode: Episode) -> Bool {
        episode.response.count >= session.trainer.collector.responseRoom(promptLength: episode.prompt.count)
    }

    static func sampler(_ session: Session) -> Sampler { session.trainer.collector.sampler }

    static func word(_ text: String, _ session: Session) throws -> Int {
        let lowered = text.lowercased()
        if ["eos", "<eos>", "<|endoftext|>"].contains(lowered) { return session.tokenizer.eosID }
        // <pad> is a token of the vocabulary like any other: `logits` lists it and sampling can draw it.
        guard let id = session.tokenizer.id(of: lowered) else {
            throw CommandError(TokenizerError.unknownWord(text, source: "step").reason)
        }
        return id
    }

    static func responseText(_ session: Session, _ episode: Episode) -> String {
        episode.response.isEmpty ? "(nothing yet)" : session.tokenizer.decode(episode.response, keepSpecial: true)
            .replacingOccurrences(of: "<|endoftext|>", with: "<eos>")
    }

    static func tail(_ session: Session, _ episode: Episode) -> String {
        let words = episode.state.suffix(4).map { Format.token(session.tokenizer.tokens[$0]) }
        return (episode.state.count > 4 ? "... " : "") + words.joined(separator: " ")
    }
}

/// Prompts must leave room in the context for a response and the closing EOS.
enum PromptRoom {
    static func check(_ tokens: [Int], session: Session, source: String) throws {
        guard session.trainer.collector.responseRoom(promptLength: tokens.count) >= 1 else {
            throw CommandError("\(source): the prompt has \(tokens.count) tokens; the context of "
                + "\(session.policy.model.config.contextLength) leaves no room for a response")
        }
    }
}
