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
        var rows: [[Int]] = []
        var targets: [Int] = []
        var mask: [Float] = []
        for pair in batch {
            precondition(!pair.prompt.isEmpty, "a prompt needs at least one token of context")
            rows.append(pair.modelInput(eosID: eosID))
        }
        let padded = Batching.padRight(rows, padID: padID)
        let length = padded[0].count
        for (row, pair) in zip(padded, batch) {
            // Position i predicts token i + 1; the last position predicts nothing.
            let firstPredicted = pair.prompt.count            // index of the first response token
            let lastPredicted = pair.prompt.count + pair.response.count  // index of EOS
            for position in 0..<length {
                let next = position + 1 < length ? row[position + 1] : padID
                targets.append(next)
                mask.append(position + 1 >= firstPredicted && position + 1 <= lastPredicted ? 1 : 0)
            }
        }
        let logits = model.logits(padded)  // (B, T, V)
        return logits.crossEntropy(targets: targets, mask: mask)
    }
}
