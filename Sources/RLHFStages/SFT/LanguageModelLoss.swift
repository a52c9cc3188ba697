import RLHFEngine

/// Next-token cross-entropy on the response tokens of prompt/response pairs.
///
/// Each pair becomes the row `prompt + response + EOS`. The logits at position i
/// predict token i + 1; the loss is the mean, over every response token and the
/// closing EOS of every row, of -log p(token | everything before it). Prompt tokens
/// are context only: they are never predicted.
///
/// The rows are packed end to end (`PackedRows`), not padded, and the logits are computed only at the
/// positions that count (`PredictingPositions` with the closing EOS): every other position is masked out
/// of the mean, so its term (an exact +-0 in the Double sum) and its gradient (+-0) change no bit. The loss
/// and every gradient are the bits of the right-padded batch's masked mean (PackedBatchTests keeps that
/// batch), at a fraction of the work.
public enum LanguageModelLoss {
    /// The mean cross-entropy over the batch's response tokens and EOS, a scalar.
    public static func loss(model: GPT2, batch: [PromptResponse], eosID: Int) -> Tensor {
        let positions = PredictingPositions(batch, closingEOS: eosID)
        let logits = model.logits(fromHidden: positions.hiddenStates(model))  // (P, V)
        // The mean over all P rows: the bits of the masked mean with a mask of ones (x * 1 is x).
        return logits.crossEntropy(targets: positions.targets)
    }
}
