import RLHFEngine

/// Next-token cross-entropy on the response tokens of prompt/response pairs.
///
/// Each pair becomes the row `prompt + response + EOS`. The logits at position i
/// predict token i + 1; the loss is the mean, over every response token and the
/// closing EOS of every row, of -log p(token | everything before it). Prompt tokens
/// are context only: they are never predicted.
public enum LanguageModelLoss {
    /// The mean cross-entropy over the batch's response tokens and EOS, a scalar.
    public static func loss(model: GPT2, batch: [PromptResponse], eosID: Int, padID: Int) -> Tensor {
        let predicted = PredictedTokens(batch, eosID: eosID, padID: padID)
        let logits = model.logits(predicted.rows)  // (B, T, V)
        return logits.crossEntropy(targets: predicted.targets, mask: predicted.mask)
    }
}

/// The rows `prompt + response + EOS` of a batch, right-padded to one length T, with the token each
/// position predicts and whether it counts: 1 where the next token is a response token or the closing
/// EOS, 0 over the prompt and the padding. The SFT loss and DPO's completion log-probs read the same.
struct PredictedTokens {
    let rows: [[Int]]
    let length: Int
    /// rows[b][i + 1] for position i of row b, flattened (B * T); padding after the last position.
    let targets: [Int]
    let mask: [Float]

    init(_ batch: [PromptResponse], eosID: Int, padID: Int) {
        for pair in batch { precondition(!pair.prompt.isEmpty, "a prompt needs at least one token of context") }
        rows = Batching.padRight(batch.map { $0.modelInput(eosID: eosID) }, padID: padID)
        length = rows[0].count
        var targets: [Int] = []
        var mask: [Float] = []
        for (row, pair) in zip(rows, batch) {
            // Position i predicts token i + 1; the last position predicts nothing.
            let firstPredicted = pair.prompt.count            // index of the first response token
            let lastPredicted = pair.prompt.count + pair.response.count  // index of EOS
            for position in 0..<length {
                targets.append(position + 1 < length ? row[position + 1] : padID)
                mask.append(position + 1 >= firstPredicted && position + 1 <= lastPredicted ? 1 : 0)
            }
        }
        self.targets = targets
        self.mask = mask
    }
}
