/// Whether a prompt and a response fit a model's context.
///
/// Every stage feeds a model `prompt tokens + response tokens + EOS` (`PromptResponse.modelInput`),
/// and a model reads at most `n_positions` tokens, so each entry point checks this before
/// anything reaches the model: a line typed at the prompt, a line of a data file, a world.
public enum ContextRoom {
    /// Why `pair` does not fit a context of `contextLength` tokens, or nil when it fits.
    /// - Parameter response: what the response is called where it came from (`completion`, `chosen`, ...).
    public static func problem(_ pair: PromptResponse, contextLength: Int, response: String = "response") -> String? {
        let length = pair.prompt.count + pair.response.count + 1
        guard length > contextLength else { return nil }
        return "prompt + \(response) + EOS is \(length) tokens (prompt \(pair.prompt.count), \(response) "
            + "\(pair.response.count)); the model's context holds \(contextLength)"
    }
}
