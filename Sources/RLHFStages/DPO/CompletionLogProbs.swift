import RLHFEngine

/// The log-probability of a whole completion under a language model, as DPO needs it:
///
///   log pi(y | x) = sum over t of log pi(y_t | x, y_<t)
///
/// over the completion's tokens and the EOS that closes it (the tokens a supervised model is
/// trained to predict, see `LanguageModelLoss`), with the model's own logits (no temperature:
/// TRL's DPOTrainer scores at temperature 1). The prompt is context only.
///
/// The model runs on the completions packed (`PredictingPositions` with the closing EOS), and the head reads
/// the predicting positions alone: the bits of running it on the right-padded rows `prompt + response + EOS`
/// and summing each row's masked log-probs (DPOPackedBatchTests keeps that batch). Causal attention keeps each
/// real position from the padding after it; a masked term is an exact +-0, and the Double sum of a row starts
/// from +0, so the masked terms before and after a completion's change no bit of its sum; and a position
/// not read gets exact zeros as gradients, which change no bit of any gradient (`PackedRows`).
public enum CompletionLogProbs {
    /// Per completion, the sum of its tokens' log-probs (or, with `averaged`, their mean, as IPO
    /// uses), (B), differentiable when a graph is being recorded.
    public static func of(_ batch: [PromptResponse], model: GPT2, eosID: Int, averaged: Bool = false) -> Tensor {
        let (tokenLogps, positions) = scoredTokens(batch, model: model, eosID: eosID)
        // Each completion's P_b log-probs in a row of L = max P_b, filled up with terms masked to +-0 (copies of
        // the batch's first log-prob: any finite value would do, and a log-softmax of finite logits is finite),
        // summed in order from +0: (B, L) -> (B).
        let width = positions.counts.max() ?? 0
        var (slots, mask, offset) = ([Int](), [Float](), 0)
        for count in positions.counts {
            for column in 0..<width {
                slots.append(column < count ? offset + column : 0)
                mask.append(column < count ? 1 : 0)
            }
            offset += count
        }
        let rows = tokenLogps.selectRows(slots).reshaped([batch.count, width])             // (B, L)
        let sums = (rows * Tensor(shape: [batch.count, width], data: mask)).sumLastAxis()  // (B)
        guard averaged else { return sums }
        let counts = positions.counts.map(Float.init)  // tokens scored, EOS included
        return sums / Tensor(shape: [batch.count], data: counts)
    }

    /// Per completion, the log-prob of each scored token (its tokens, then EOS), with no graph.
    public static func perToken(_ batch: [PromptResponse], model: GPT2, eosID: Int) -> [[Double]] {
        GradientMode.withoutRecording {
            let (tokenLogps, positions) = scoredTokens(batch, model: model, eosID: eosID)
            return positions.split(tokenLogps.data)
        }
    }

    /// log softmax(logits)[next token] at every position that predicts a completion's token or its closing EOS,
    /// completion after completion: (P), and those positions.
    private static func scoredTokens(_ batch: [PromptResponse], model: GPT2,
                                     eosID: Int) -> (Tensor, PredictingPositions) {
        let positions = PredictingPositions(batch, closingEOS: eosID)
        let logits = model.logits(fromHidden: positions.hiddenStates(model))   // (P, V)
        return (logits.logSoftmax().gatherLastAxis(positions.targets), positions)  // (P)
    }
}
