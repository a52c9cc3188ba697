import RLHFEngine

/// Per-token read-outs of a batch of episodes, computed the same way for rollouts and
/// for every update so that, before any step, the new log-probs equal the old ones
/// exactly.
public enum EpisodeReadout {
    /// For each episode (prompt + response), the positions whose outputs describe the
    /// response tokens: position prompt.count - 1 + t predicts response token t.
    public struct Layout {
        public let episodes: [PromptResponse]
        /// Every response token, episode by episode (the same order as `predictingPositions`).
        public let responseTokens: [Int]
        /// The episodes unpadded, end to end (`PackedRows`), and the packed indices of the positions that
        /// predict each response token, episode by episode.
        public let packed: PackedRows
        public let predictingPositions: [Int]

        public init(_ episodes: [PromptResponse]) {
            self.episodes = episodes
            responseTokens = episodes.flatMap(\.response)
            let packed = PackedRows(episodes.map { $0.prompt + $0.response })
            self.packed = packed
            predictingPositions = episodes.enumerated().flatMap { row, episode in
                (0..<episode.response.count).map { packed.index(row: row, position: episode.prompt.count - 1 + $0) }
            }
        }
    }

    /// The final hidden states of the positions that predict a response token, (N, C), recorded for backward:
    /// the policy runs on the episodes packed, without padding (`GPT2.hiddenStates(packed:)`), and the heads
    /// read these positions alone. These are the bits of running it on the right-padded rows, every head over
    /// every position, then picking: causal attention keeps each real position from the padding after it, and
    /// a position not picked, padding or not, gets exact zeros as gradients, whose terms added to sums from +0
    /// in row order change no bit (`PackedRows`; PPOStepBitsTests checks against `ActorCritic.forward`).
    public static func predictingHidden(_ model: GPT2, layout: Layout) -> Tensor {
        model.hiddenStates(packed: layout.packed).selectRows(layout.predictingPositions)  // (N, C)
    }

    /// log pi(a_t | s_t) of each response token with logits divided by (temperature + 1e-7),
    /// as TRL does, flattened over the batch: (N) for N response tokens in all, from the logits of the
    /// predicting positions alone, (N, V) in the order of `responseTokens`.
    /// Also those logits scaled, (N, V), and their log-softmax, (N, V), for entropy.
    public static func logprobs(pickedLogits picked: Tensor, responseTokens: [Int],
                                temperature: Double) -> (logprobs: Tensor, logits: Tensor, logSoftmax: Tensor) {
        let scaled = picked * Float(1 / (temperature + 1e-7))
        let logSoftmax = scaled.logSoftmax()
        return (logSoftmax.gatherLastAxis(responseTokens), scaled, logSoftmax)      // (N), (N, V), (N, V)
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
