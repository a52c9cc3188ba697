import RLHFEngine

/// Next-token cross-entropy on the response tokens of prompt/response pairs.
///
/// Each pair becomes the row `prompt + response + EOS`. The logits at position i
/// predict token i + 1; the loss is the mean, over every response token and the
/// closing EOS of every row, of -log p(token | everything before it). Prompt tokens
/// are context only: they are never predicted.
///
/// The rows are packed end to end (`PackedRows`), not padded, and the logits are computed only at the
/// positions that count: every other position is masked out of the mean, so its term (an exact +-0 in
/// the Double sum) and its gradient (+-0) change no bit. The loss and every gradient are the bits of
/// the right-padded batch's masked mean (`PredictedTokens`), at a fraction of the work.
public enum LanguageModelLoss {
    /// The mean cross-entropy over the batch's response tokens and EOS, a scalar.
    public static func loss(model: GPT2, batch: [PromptResponse], eosID: Int) -> Tensor {
        let predicted = PackedPredictions(batch, eosID: eosID)
        // The rows leave out EOS, but the batch must fit the context with it (`ContextRoom`), as before.
        let longest = batch.map { $0.prompt.count + $0.response.count + 1 }.max() ?? 0
        precondition(longest <= model.config.contextLength,
                     "sequence of \(longest) tokens exceeds the context of \(model.config.contextLength)")
        let hidden = model.hiddenStates(packed: predicted.rows)                        // (N, C)
        let logits = model.logits(fromHidden: hidden.selectRows(predicted.positions))  // (P, V)
        // The mean over all P rows: the bits of the masked mean with a mask of ones (x * 1 is x).
        return logits.crossEntropy(targets: predicted.targets)
    }
}

/// The rows of a batch packed end to end, and the positions whose next token is a response token or the
/// closing EOS (position i predicts token i + 1), in order: the ones `PredictedTokens` masks in. A row is
/// `prompt + response`, without the closing EOS: that is only ever predicted, and its own position
/// predicts nothing, so, like the padding after it, it changes no bit of the loss or of any gradient.
struct PackedPredictions {
    let rows: PackedRows
    /// Those positions in the packed order, (P).
    let positions: [Int]
    /// The token each of them predicts, (P).
    let targets: [Int]

    init(_ batch: [PromptResponse], eosID: Int) {
        for pair in batch { precondition(!pair.prompt.isEmpty, "a prompt needs at least one token of context") }
        rows = PackedRows(batch.map { $0.prompt + $0.response })
        var (positions, targets) = ([Int](), [Int]())
        for (row, pair) in batch.enumerated() {
            // From the prompt's last token (predicting the first response token) to the response's last
            // (predicting EOS).
            let input = pair.modelInput(eosID: eosID)
            for position in (pair.prompt.count - 1)..<(pair.prompt.count + pair.response.count) {
                positions.append(rows.index(row: row, position: position))
                targets.append(input[position + 1])
            }
        }
        (self.positions, self.targets) = (positions, targets)
    }
}

/// The rows `prompt + response + EOS` of a batch, right-padded to one length T, with the token each
/// position predicts and whether it counts: 1 where the next token is a response token or the closing
/// EOS, 0 over the prompt and the padding. DPO's completion log-probs read these; the SFT loss reads the
/// same positions packed (`PackedPredictions`).
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
