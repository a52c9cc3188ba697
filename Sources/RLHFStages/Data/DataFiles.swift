import RLHFEngine

/// Loading the three data formats of the seed article and TRL.
///
/// Every loader reads and checks the whole file first: a bad line anywhere means an
/// error naming the file, the line and the problem, and no examples at all.
public enum DataFiles {
    /// Supervised fine-tuning data: `{"prompt": "...", "completion": "..."}` per line.
    /// - Parameter contextLength: the context of the model to train; a longer line is refused (see `ContextRoom`).
    ///   Every loader asks for it: a line the model cannot hold is refused here, with its FILE:LINE.
    public static func loadSFT(path: String, tokenizer: Tokenizer, contextLength: Int) throws -> [SFTExample] {
        try sftExamples(JSONLines.read(path: path), tokenizer: tokenizer, contextLength: contextLength)
    }

    public static func sftExamples(_ records: [JSONLinesRecord], tokenizer: Tokenizer,
                                   contextLength: Int) throws -> [SFTExample] {
        try records.map { record in
            let prompt = try record.string("prompt")
            let completion = try record.string("completion")
            let promptIDs = try encode(prompt, record, "prompt", tokenizer)
            let completionIDs = try encode(completion, record, "completion", tokenizer)
            guard !promptIDs.isEmpty else { throw record.error("field \"prompt\" is empty") }
            guard !completionIDs.isEmpty else { throw record.error("field \"completion\" is empty") }
            let tokens = PromptResponse(prompt: promptIDs, response: completionIDs)
            if let problem = ContextRoom.problem(tokens, contextLength: contextLength, response: "completion") {
                throw record.error(problem)
            }
            return SFTExample(promptText: prompt, completionText: completion, tokens: tokens)
        }
    }

    /// Preference data, either the seed's format
    /// `{"input_text", "candidate_0", "candidate_1", "choice": 0 or 1}`
    /// or TRL's `{"prompt", "chosen", "rejected"}`, decided line by line.
    /// - Parameter contextLength: the context of the model to train (the reward model's; DPO's, the policy's and
    ///   its reference's); a longer pair is refused (see `ContextRoom`).
    public static func loadPreferences(path: String, tokenizer: Tokenizer,
                                       contextLength: Int) throws -> [PreferencePair] {
        try preferencePairs(JSONLines.read(path: path), tokenizer: tokenizer, contextLength: contextLength)
    }

    public static func preferencePairs(_ records: [JSONLinesRecord], tokenizer: Tokenizer,
                                       contextLength: Int) throws -> [PreferencePair] {
        try records.map { record in
            let prompt: String, chosen: String, rejected: String
            let promptField: String, chosenField: String, rejectedField: String
            if record.fields["input_text"] != nil || record.fields["candidate_0"] != nil {
                prompt = try record.string("input_text")
                let candidates = [try record.string("candidate_0"), try record.string("candidate_1")]
                let choice = try record.integer("choice")
                guard choice == 0 || choice == 1 else {
                    throw record.error("field \"choice\" must be 0 or 1, found \(choice)")
                }
                (chosen, rejected) = (candidates[choice], candidates[1 - choice])
                (promptField, chosenField, rejectedField) =
                    ("input_text", "candidate_\(choice)", "candidate_\(1 - choice)")
            } else if record.fields["chosen"] != nil || record.fields["rejected"] != nil {
                prompt = try record.string("prompt")
                chosen = try record.string("chosen")
                rejected = try record.string("rejected")
                (promptField, chosenField, rejectedField) = ("prompt", "chosen", "rejected")
            } else {
                let found = record.fields.keys.sorted().joined(separator: ", ")
                throw record.error("expected the fields input_text, candidate_0, candidate_1, choice " +
                                   "or prompt, chosen, rejected; found \(found)")
            }
            let promptIDs = try encode(prompt, record, promptField, tokenizer)
            let chosenIDs = try encode(chosen, record, chosenField, tokenizer)
            let rejectedIDs = try encode(rejected, record, rejectedField, tokenizer)
            for (ids, field) in [(promptIDs, promptField), (chosenIDs, chosenField), (rejectedIDs, rejectedField)]
            where ids.isEmpty {
                throw record.error("field \"\(field)\" is empty")
            }
            if chosen == rejected {
                throw record.error("fields \"\(chosenField)\" and \"\(rejectedField)\" are the same text: "
                                   + "a comparison needs two different responses")
            }
            let pair = PreferencePair(promptText: prompt, chosenText: chosen, rejectedText: rejected,
                                      chosen: PromptResponse(prompt: promptIDs, response: chosenIDs),
                                      rejected: PromptResponse(prompt: promptIDs, response: rejectedIDs))
            for (tokens, field) in [(pair.chosen, chosenField), (pair.rejected, rejectedField)] {
                if let problem = ContextRoom.problem(tokens, contextLength: contextLength, response: field) {
                    throw record.error(problem)
                }
            }
            return pair
        }
    }

    /// One line of an SFT file: `{"completion": ..., "prompt": ...}`, as `loadSFT` reads it
    /// (keys in alphabetical order, as in every file the world writes).
    public static func sftRecord(prompt: String, completion: String) -> JSONText {
        .object([("completion", .string(completion)), ("prompt", .string(prompt))])
    }

    /// One line of a prompts file: `{"prompt": ...}`, as `loadPrompts` reads it.
    public static func promptRecord(_ prompt: String) -> JSONText { .object([("prompt", .string(prompt))]) }

    /// One line of a preference file in the seed's format, as `preferencePairs` reads it:
    /// `{"input_text": prompt, "candidate_0": ..., "candidate_1": ..., "choice": 0 or 1}`, where
    /// `choice` names the preferred candidate.
    public static func preferenceRecord(prompt: String, candidates: (String, String), choice: Int) -> JSONText {
        precondition(choice == 0 || choice == 1, "choice is 0 or 1, not \(choice)")
        return .object([("candidate_0", .string(candidates.0)), ("candidate_1", .string(candidates.1)),
                        ("choice", .integer(choice)), ("input_text", .string(prompt))])
    }

    /// Prompts for rollouts: `{"prompt": ...}` or the seed's `{"input_text": ...}` per line.
    /// - Parameter maxTokens: the longest prompt that still leaves room for a response.
    public static func loadPrompts(path: String, tokenizer: Tokenizer,
                                   maxTokens: Int? = nil) throws -> [PromptExample] {
        try JSONLines.read(path: path).map { record in
            let field = record.fields["prompt"] != nil ? "prompt" : "input_text"
            let text = try record.string(field)
            let ids = try encode(text, record, field, tokenizer)
            guard !ids.isEmpty else { throw record.error("field \"\(field)\" is empty") }
            if let maxTokens, ids.count > maxTokens {
                throw record.error("the prompt has \(ids.count) tokens; at most \(maxTokens) leave room for a response")
            }
            return PromptExample(text: text, tokens: ids)
        }
    }

    private static func encode(_ text: String, _ record: JSONLinesRecord, _ field: String,
                               _ tokenizer: Tokenizer) throws -> [Int] {
        do {
            return try tokenizer.encode(text, source: "")  // the record's error below names the place
        } catch let error as TokenizerError {
            throw record.error("field \"\(field)\": \(error.reason)")
        }
    }
}
