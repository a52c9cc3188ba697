import RLHFEngine

/// The policy and its critic: one GPT-2 backbone with two read-outs, as TRL's
/// `AutoModelForCausalLMWithValueHead`.
///
/// - the language-model head gives pi(a | s), the next-token distribution (the actor);
/// - the value head `v_head.summary` gives V(s), the expected return from state s (the critic).
/// The state s_t is the prompt plus the response tokens before a_t, and its outputs are
/// read at s_t's last token.
public final class ActorCritic {
    public let model: GPT2
    public let valueHead: ScalarHead

    public init(model: GPT2, valueHead: ScalarHead) {
        self.model = model
        self.valueHead = valueHead
    }

    /// A policy starting from `sft` (copied) with a freshly initialised value head.
    public convenience init(initialisedFrom sft: GPT2, random: inout RandomGenerator) {
        self.init(model: sft.copy(), valueHead: ScalarHead.valueHead(width: sft.config.embeddingWidth, random: &random))
    }

    public var parameters: [Tensor] { model.parameters + valueHead.parameters }

    /// Logits and values for a batch of rows: (B, T, V) and (B, T).
    public func forward(_ rows: [[Int]]) -> (logits: Tensor, values: Tensor) {
        let hidden = model.hiddenStates(rows)  // (B, T, C)
        return (model.logits(fromHidden: hidden), valueHead(hidden))
    }
}

/// Per-token read-outs of a batch of episodes, computed the same way for rollouts and
/// for every update so that, before any step, the new log-probs equal the old ones
/// exactly.
public enum EpisodeReadout {
    /// For each episode (prompt + response), the positions whose outputs describe the
    /// response tokens: position prompt.count - 1 + t predicts response token t.
    public struct Layout {
        public let rows: [[Int]]
        public let length: Int
        public let episodes: [PromptResponse]
        /// Flattened (B * T) indices of the positions that predict each response token, episode by episode.
        public let predictingPositions: [Int]
        /// Every response token, episode by episode (the same order as `predictingPositions`).
        public let responseTokens: [Int]

        public init(_ episodes: [PromptResponse], padID: Int) {
            self.episodes = episodes
            rows = Batching.padRight(episodes.map { $0.prompt + $0.response }, padID: padID)
            let length = rows.first?.count ?? 0
            self.length = length
            predictingPositions = episodes.enumerated().flatMap { row, episode in
                (0..<episode.response.count).map { row * length + episode.prompt.count - 1 + $0 }
            }
            responseTokens = episodes.flatMap(\.response)
        }
    }

    /// log pi(a_t | s_t) of each response token with logits divided by (temperature + 1e-7),
    /// as TRL does, flattened over the batch: (N) for N response tokens in all.
    /// Also the per-position logits kept, (N, V), for entropy.
    public static func logprobs(logits: Tensor, layout: Layout, temperature: Double) -> (logprobs: Tensor, logits: Tensor) {
        let vocabulary = logits.shape[2]
        let picked = logits.reshaped([layout.rows.count * layout.length, vocabulary])  // (B*T, V)
            .selectRows(layout.predictingPositions)                                    // (N, V)
        let scaled = picked * Float(1 / (temperature + 1e-7))
        return (scaled.logSoftmax().gatherLastAxis(layout.responseTokens), scaled)     // (N), (N, V)
    }

    /// V(s_t) for each response token, flattened: (N).
    public static func values(_ values: Tensor, layout: Layout) -> Tensor {
        values.reshaped([layout.rows.count * layout.length]).selectRows(layout.predictingPositions)
    }

    /// Entropy of each kept distribution, per row of (N, V) scaled logits z:
    /// H = -sum_a p_a log p_a = log S - sum_a p_a (z_a - m), with m = max z,
    /// S = sum_a e^(z_a - m) and p_a = e^(z_a - m) / S.
    public static func entropies(scaledLogits: Tensor) -> [Double] {
        let vocabulary = scaledLogits.shape[1]
        let rows = scaledLogits.count / vocabulary
        var weights = [Double](repeating: 0, count: vocabulary)
        return scaledLogits.data.withUnsafeBufferPointer { z in
            (0..<rows).map { row in
                let base = row * vocabulary
                var largest = -Double.infinity
                for column in 0..<vocabulary { largest = max(largest, Double(z[base + column])) }
                var total = 0.0
                for column in 0..<vocabulary {
                    weights[column] = PortableMath.exp(Double(z[base + column]) - largest)
                    total += weights[column]
                }
                var entropy = PortableMath.log(total)
                for column in 0..<vocabulary { entropy -= weights[column] / total * (Double(z[base + column]) - largest) }
                return entropy
            }
        }
    }
}
