import Foundation
import RLHFEngine
import RLHFStages

/// The learner as the human in human feedback: compare two candidates, pick one, and
/// the choice is saved in the seed's preference format for `train rm`.
enum LabelCommands {
    static let all: [Command] = [label, score]

    /// While a label is pending, a bare `0`, `1` or `skip` answers it.
    static func answerWord(_ line: String) -> String? {
        ["0", "1", "skip", "annotator"].contains(line) ? line : nil
    }

    static let label = Command(
        "label", usage: "label [0|1|skip|annotator|clear]",
        summary: "compare two sampled responses and pick the better one; saved to label_file",
        details: "Shows a prompt and two responses sampled from the policy. Answer 0 or 1 (or skip). Each choice is\n"
            + "appended to label_file (`show label_file`) as {\"input_text\", \"candidate_0\", \"candidate_1\", "
            + "\"choice\"};\n`train rm N FILE` then trains the reward model on your labels. `label annotator` lets "
            + "the built-in annotator answer for you; `label clear` empties label_file.",
        complete: { session, arguments in
            guard arguments.isEmpty else { return [] }
            return session.pendingLabel != nil ? ["0", "1", "skip", "annotator"] : ["clear"]
        }
    ) { call in
        let session = call.session
        if call.arguments.first == "clear" {
            try AtomicFile.write(Data(), to: session.labelFile)
            session.pendingLabel = nil
            call.console.line("Emptied \(session.labelFile).")
            return
        }
        if let answer = call.arguments.first {
            guard let pending = session.pendingLabel else {
                throw CommandError("no pair is waiting: `label` shows one")
            }
            try record(answer: answer, pending: pending, call: call)
            return
        }
        let prompt = session.randomTrainingPrompt()
        var candidates: [[Int]] = []
        // One generator for all tries: the prompt is fed once, and each try draws what `generate` would.
        let generator = Generator(model: session.policy.model)
        let room = session.trainer.collector.responseRoom(promptLength: prompt.count)
        for _ in 0..<20 where candidates.count < 2 {
            let sample = generator.generate(prompt: prompt, maxNewTokens: room, eosID: session.tokenizer.eosID,
                                            sampler: session.trainer.collector.sampler, random: &session.random)
            let text = sample.endedWithEOS ? Array(sample.tokens.dropLast()) : sample.tokens
            if sample.endedWithEOS && !text.isEmpty && !candidates.contains(text) { candidates.append(text) }
        }
        guard candidates.count == 2 else {
            throw CommandError("the policy kept giving the same response; try `label` again")
        }
        session.pendingLabel = PendingLabel(prompt: prompt, candidates: candidates)
        call.console.line("Prompt: \(session.tokenizer.decode(prompt))")
        for (index, candidate) in candidates.enumerated() {
            call.console.line("  \(index): \(session.tokenizer.decode(candidate))")
        }
        call.console.line("Which is better? Type 0 or 1 (or skip).")
    }

    static func record(answer: String, pending: PendingLabel, call: Invocation) throws {
        let session = call.session
        var answer = answer
        if answer == "annotator" {
            // The simulated annotator's choice; a tie it cannot break is skipped.
            guard let choice = session.annotator.choose(prompt: pending.prompt, pending.candidates[0],
                                                        pending.candidates[1]) else {
                session.pendingLabel = nil
                call.console.line("The annotator cannot tell these apart (equal gold scores): skipped.")
                return
            }
            call.console.line("The annotator picks \(choice).")
            answer = "\(choice)"
        }
        if answer == "skip" {
            session.pendingLabel = nil
            call.console.line("Skipped.")
            return
        }
        guard let choice = Int(answer), choice == 0 || choice == 1 else {
            throw CommandError("answer 0, 1 or skip, not \(Format.quoted(answer))")
        }
        let record = DataFiles.preferenceRecord(
            prompt: session.tokenizer.decode(pending.prompt),
            candidates: (session.tokenizer.decode(pending.candidates[0]),
                         session.tokenizer.decode(pending.candidates[1])),
            choice: choice)
        try AtomicFile.appendLine(JSONLines.line(record), to: session.labelFile)
        session.pendingLabel = nil
        let golds = pending.candidates.map { session.annotator.goldScore(prompt: pending.prompt, response: $0) }
        let verdict = golds[0] == golds[1] ? "could not tell them apart" : "would pick \(golds[0] > golds[1] ? 0 : 1)"
        call.console.line(Format.wrapped("Saved your choice (\(choice)) to \(session.labelFile). "
            + "The built-in annotator \(verdict) (gold \(Format.signed(golds[0], 1)) vs "
            + "\(Format.signed(golds[1], 1)))."))
    }

    static let score = Command(
        "score", usage: "score TEXT",
        summary: "the reward model's score of TEXT as a response to the current prompt, and the gold score",
        details: "The reward model judges one response alone (no comparison) at its EOS token.",
        complete: { session, _ in session.tokenizer.tokens.filter { !$0.hasPrefix("<") } }
    ) { call in
        let session = call.session
        guard !call.rest.isEmpty else { throw call.usageError() }
        let prompt = session.episode?.prompt ?? session.data.trainingPrompts[0].tokens
        let response = try session.tokenizer.encode(call.rest, source: "score")
        if let problem = ContextRoom.problem(PromptResponse(prompt: prompt, response: response),
                                             contextLength: session.reward.backbone.config.contextLength) {
            throw CommandError("score: \(problem)")
        }
        let reward = session.reward.score(PromptResponse(prompt: prompt, response: response))
        let terms = session.annotator.breakdown(prompt: prompt, response: response)
        let note = session.episode == nil ? "  (no episode: the first training prompt)" : ""
        call.console.line("Prompt: \(session.tokenizer.decode(prompt))\(note)")
        call.console.line("Response: \(session.tokenizer.decode(response))")
        let gold = terms.reduce(0) { $0 + $1.points }  // Annotator.goldScore: the sum of the breakdown
        call.console.line("  reward model: \(Format.signed(reward))   annotator's gold: \(Format.signed(gold, 1))")
        for term in terms {
            call.console.line("    \(Format.padRight(term.reason, 40)) \(Format.signed(term.points, 1))")
        }
        if session.rewardSource == .rule {
            call.console.line("Training reward: \(session.rewardSource.description).")
        }
    }
}
