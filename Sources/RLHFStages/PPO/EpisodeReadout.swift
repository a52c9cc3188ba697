import RLHFEngine

/// Per-token read-outs of a batch of episodes, computed the same way for rollouts and
/// for every update so that, before any step, the new log-probs equal the old ones
/// exactly. They read the positions that predict a response token (`PredictingPositions`).
public enum EpisodeReadout {
    /// log pi(a_t | s_t) of each response token with logits divided by (temperature + 1e-7),
    /// as TRL does, flattened over the batch: (N) for N response tokens in all, from the logits of the
    /// predicting positions alone, (N, V) in the order of `responseTokens` (`PredictingPositions.targets`).
    /// Also those logits scaled, (N, V), and their log-softmax, (N, V), for entropy.
    public static func logprobs(pickedLogits picked: Tensor, responseTokens: [Int],
                                temperature: Double) -> (logprobs: Tensor, logits: Tensor, logSoftmax: Tensor) {
        let scaled = picked * Float(1 / (temperature + 1e-7))
        let logSoftmax = scaled.logSoftmax()
        return (logSoftmax.gatherLastAxis(responseTokens), scaled, logSoftmax)      // (N), (N, V), (N, V)
    }

    /// `logprobs(pickedLogits:)` from `hidden` (N, C), the hidden states of the positions predicting
    /// `responseTokens`: the language-model head over those rows alone, then the scaled log-softmax. The one
    /// read-out of rollouts, of PPO's steps and of GRPO's and RLOO's.
    public static func logprobs(of model: GPT2, hidden: Tensor, responseTokens: [Int],
                                temperature: Double) -> (logprobs: Tensor, logits: Tensor, logSoftmax: Tensor) {
        logprobs(pickedLogits: model.logits(fromHidden: hidden), responseTokens: responseTokens,
                 temperature: temperature)  // logits (N, V)
    }

    /// Entropy of each kept distribution, per row of (N, V) scaled logits z, with p = softmax(z):
    ///   H = -sum_a p_a log p_a                                                          (N)
    /// A differentiable tensor: the loss's entropy bonus takes its mean; `entropies` records it.
    public static func entropy(scaledLogits: Tensor) -> Tensor {
        -(scaledLogits.softmax() * scaledLogits.logSoftmax()).sumLastAxis()
    }

    /// `entropy`'s H per row, read with no graph, for the record and the metrics.
    public static func entropies(scaledLogits: Tensor) -> [Double] {
        GradientMode.withoutRecording { entropy(scaledLogits: scaledLogits).data.map(Double.init) }
    }

    /// `entropies` given the scaled logits' log-softmax (`logprobs` keeps it): the same bits
    /// (`Tensor.rowEntropies`), without a second log-softmax or any tensor of the graph's.
    public static func entropies(scaledLogits: Tensor, logSoftmax: Tensor) -> [Double] {
        scaledLogits.rowEntropies(logSoftmax: logSoftmax).map(Double.init)
    }
}
