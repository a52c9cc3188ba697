import RLHFEngine

/// A prompt and one response, as token ids. Every stage joins them the same way:
/// `prompt tokens + response tokens + EOS` (see `modelInput`).
public struct PromptResponse: Equatable, Sendable {
    public let prompt: [Int]
    public let response: [Int]

    public init(prompt: [Int], response: [Int]) {
        self.prompt = prompt
        self.response = response
    }

    /// The model input for this pair: the prompt's tokens, the response's tokens, then EOS.
    public func modelInput(eosID: Int) -> [Int] { prompt + response + [eosID] }
}

/// One supervised fine-tuning example: `{"prompt": ..., "completion": ...}`.
public struct SFTExample: Equatable, Sendable {
    public let promptText: String
    public let completionText: String
    public let tokens: PromptResponse
}

/// One human comparison: for `prompt`, `chosen` was preferred to `rejected`.
public struct PreferencePair: Equatable, Sendable {
    public let promptText: String
    public let chosenText: String
    public let rejectedText: String
    public let chosen: PromptResponse
    public let rejected: PromptResponse
}

/// A prompt to start a rollout from.
public struct PromptExample: Equatable, Sendable {
    public let text: String
    public let tokens: [Int]
}
