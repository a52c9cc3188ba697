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
    /// `prompt + response + EOS`, zero where the next token is not the completion's or its EOS
    /// (`PredictedTokens`): (B * T), and T.
    private static func scoredTokens(_ batch: [PromptResponse], model: GPT2, eosID: Int,
                                     padID: Int) -> (Tensor, Int) {
        let predicted = PredictedTokens(batch, eosID: eosID, padID: padID)
        let (rows, length) = (predicted.rows.count, predicted.length)
        let logits = model.logits(predicted.rows)                               // (B, T, V)
        let vocabulary = logits.shape[2]
        let tokenLogps = logits.reshaped([rows * length, vocabulary])
            .logSoftmax().gatherLastAxis(predicted.targets)                    // (B*T)
        return (tokenLogps * Tensor(shape: [rows * length], data: predicted.mask), length)
    }
}
