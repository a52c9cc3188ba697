import RLHFEngine

/// The log-probability of a whole completion under a language model, as DPO needs it:
///
///   log pi(y | x) = sum over t of log pi(y_t | x, y_<t)
///
/// over the completion's tokens and the EOS that closes it (the tokens a supervised model is
/// trained to predict, see `LanguageModelLoss`), with the model's own logits (no temperature:
/// TRL's DPOTrainer scores at temperature 1). The prompt is context only.
public enum CompletionLogProbs {
    /// Per completion, the sum of its tokens' log-probs (or, with `averaged`, their mean, as IPO
    /// uses), (B), differentiable when a graph is being recorded.
    public static func of(_ batch: [PromptResponse], model: GPT2, eosID: Int, padID: Int,
                          averaged: Bool = false) -> Tensor {
        let (tokenLogps, length) = scoredTokens(batch, model: model, eosID: eosID, padID: padID)
        let sums = tokenLogps.reshaped([batch.count, length]).sumLastAxis()     // (B)
        guard averaged else { return sums }
        let counts = batch.map { Float($0.response.count + 1) }                 // tokens scored, EOS included
        return sums / Tensor(shape: [batch.count], data: counts)
    }

    /// Per completion, the log-prob of each scored token (its tokens, then EOS), with no graph.
    public static func perToken(_ batch: [PromptResponse], model: GPT2, eosID: Int, padID: Int) -> [[Double]] {
        GradientMode.withoutRecording {
            let (tokenLogps, length) = scoredTokens(batch, model: model, eosID: eosID, padID: padID)
            return batch.enumerated().map { row, pair in
                // Position i predicts token i + 1: these positions predict the completion and EOS.
                (pair.prompt.count - 1 ..< pair.prompt.count + pair.response.count)
                    .map { Double(tokenLogps.data[row * length + $0]) }
            }
        }
    }

    /// log softmax(logits)[next token] at every position of the right-padded rows
    /// `prompt + response + EOS`, zero where the next token is not the completion's or its EOS:
    /// (B * T), and T.
    private static func scoredTokens(_ batch: [PromptResponse], model: GPT2, eosID: Int,
                                     padID: Int) -> (Tensor, Int) {
        let rows = Batching.padRight(batch.map { $0.modelInput(eosID: eosID) }, padID: padID)
        let length = rows[0].count
        var targets: [Int] = []
        var mask: [Float] = []
        for (row, pair) in zip(rows, batch) {
            precondition(!pair.prompt.isEmpty, "a prompt needs at least one token of context")
            // Position i predicts token i + 1: the completion and its EOS are tokens
            // prompt.count ... prompt.count + response.count.
            let predicted = (pair.prompt.count)...(pair.prompt.count + pair.response.count)
            for position in 0..<length {
                let next = position + 1 < length ? row[position + 1] : padID
                targets.append(next)
                mask.append(predicted.contains(position + 1) ? 1 : 0)
            }
        }
        let logits = model.logits(rows)                                         // (B, T, V)
        let vocabulary = logits.shape[2]
        let tokenLogps = logits.reshaped([rows.count * length, vocabulary])
            .logSoftmax().gatherLastAxis(targets)                              // (B*T)
        return (tokenLogps * Tensor(shape: [rows.count * length], data: mask), length)
    }
}
