import RLHFEngine

/// The positions of a batch of episodes (prompt then response) whose outputs predict the response: the one
/// definition the SFT loss, DPO's completion log-probs, the rollouts' read-outs and the PPO, GRPO and RLOO
/// updates all read.
///
/// Position t of a row predicts token t + 1. For a prompt of p tokens (p >= 1) and a response of n:
///
///   positions p - 1 ... p + n - 2  predict response tokens 0 ... n - 1          (n positions)
///   position  p + n - 1            with a closing EOS, predicts that EOS          (1 more)
///
/// The prompt's other positions predict prompt tokens, context only. A closing EOS is the token SFT and DPO
/// append to a completion (`PromptResponse.modelInput`) and score: it is only ever predicted, never a row's
/// token, since its own position would predict nothing. PPO, GRPO and RLOO count no closing EOS: a rollout
/// that stopped at EOS holds it as its last response token, predicted like any other, and the position
/// p + n - 1 (the state s_T after the last action) predicts nothing they train; the rollouts read V(s_T) there
/// (`hiddenStatesThroughLastToken`).
///
/// Positions are counted episode after episode, in order: P in all, the sum of `counts`.
public struct PredictingPositions {
    public let episodes: [PromptResponse]
    /// Per episode, how many of its positions predict: n, or n + 1 with a closing EOS.
    public let counts: [Int]
    /// The token each predicting position predicts, episode by episode, (P): the response, then the EOS.
    public let targets: [Int]
    /// The closing EOS each completion is scored through, or nil for none.
    public let closingEOS: Int?

    /// - Parameter closingEOS: the EOS id when each response is scored through the EOS that closes it (SFT,
    ///   DPO); nil (PPO, GRPO, RLOO) when the response's own tokens are all that is predicted.
    public init(_ episodes: [PromptResponse], closingEOS: Int? = nil) {
        for episode in episodes {
            precondition(!episode.prompt.isEmpty, "a prompt needs at least one token of context")
        }
        self.episodes = episodes
        self.closingEOS = closingEOS
        let extra = closingEOS == nil ? 0 : 1
        counts = episodes.map { $0.response.count + extra }
        targets = episodes.flatMap { episode in closingEOS.map { episode.response + [$0] } ?? episode.response }
    }

    /// Each episode's first predicting position, p - 1.
    public var first: [Int] { episodes.map { $0.prompt.count - 1 } }

    /// Each episode's row cut after its last predicting position: prompt + response with a closing EOS, without
    /// the response's last token otherwise. `GPT2.hiddenStates(ofRows: readRows, from: first)` reads exactly the
    /// predicting positions, in order.
    public var readRows: [[Int]] {
        episodes.map { closingEOS == nil ? Array(($0.prompt + $0.response).dropLast()) : $0.prompt + $0.response }
    }

    /// The final hidden states (after ln_f) of the predicting positions, (P, C), in order.
    ///
    /// With a graph, the model runs on the packed rows (`GPT2.hiddenStates(packed:)`) and these rows are picked:
    /// the bits of running it on the rows right-padded, every position read, then picking them. Causal
    /// attention keeps each real position from the padding after it, and a position not picked, padding or
    /// not, gets exact zeros as gradients, whose terms, added to sums that start from +0 and run in row order,
    /// change no bit (`PackedRows`). With no graph, each row is fed alone and only these positions are read
    /// (`GPT2.hiddenStates(ofRows:from:)`): the same bits.
    public func hiddenStates(_ model: GPT2) -> Tensor {
        checkContext(model)
        guard GradientMode.isRecording else { return model.hiddenStates(ofRows: readRows, from: first) }
        // The episodes as rows, prompt + response, packed end to end without padding; a row's position after its
        // last predicting one (s_T, without a closing EOS) is fed and read by nothing.
        let packed = PackedRows(episodes.map { $0.prompt + $0.response })
        let extra = closingEOS == nil ? 0 : 1
        let indices = episodes.enumerated().flatMap { row, episode in  // each predicting position in packed order
            let start = packed.index(row: row, position: episode.prompt.count - 1)
            return start..<(start + episode.response.count + extra)
        }
        return model.hiddenStates(packed: packed).selectRows(indices)  // (P, C)
    }

    /// Every episode must fit the model's context whichever way it is read: with a closing EOS, prompt +
    /// response + EOS (`ContextRoom`, though the EOS is only predicted, never fed); without, prompt + response
    /// (the packed rows feed it all, the decoder all but the last token).
    private func checkContext(_ model: GPT2) {
        let context = model.config.contextLength
        for episode in episodes {
            if closingEOS != nil {
                if let problem = ContextRoom.problem(episode, contextLength: context) { preconditionFailure(problem) }
            } else {
                let length = episode.prompt.count + episode.response.count
                precondition(length <= context, "sequence of \(length) tokens exceeds the context of \(context)")
            }
        }
    }

    /// Without a closing EOS, the hidden states of the predicting positions and, after each episode's, of its last
    /// token's position p + n - 1 (the state s_T after the last action, where a rollout reads V(s_T)): (P + B, C),
    /// with no graph, fed as `hiddenStates` feeds them without one; `predicting` (P) and `final` (B) say which
    /// rows are which.
    public func hiddenStatesThroughLastToken(_ model: GPT2) -> (hidden: Tensor, predicting: [Int], final: [Int]) {
        precondition(closingEOS == nil, "the last tokens' positions are read without a closing EOS")
        checkContext(model)
        var (predicting, final, offset) = ([Int](), [Int](), 0)
        for count in counts {
            predicting.append(contentsOf: offset..<(offset + count))
            final.append(offset + count)
            offset += count + 1
        }
        let hidden = model.hiddenStates(ofRows: episodes.map { $0.prompt + $0.response }, from: first)
        return (hidden, predicting, final)
    }

    /// A flat per-position array (P values, episode after episode) cut into one array per episode, each value
    /// widened to Double.
    public func split<Value: BinaryFloatingPoint>(_ flat: [Value]) -> [[Double]] {
        Self.split(flat, counts: counts)
    }

    /// `flat` cut into consecutive arrays of `counts[0]`, `counts[1]`, ... values, each widened to Double.
    public static func split<Value: BinaryFloatingPoint>(_ flat: [Value], counts: [Int]) -> [[Double]] {
        precondition(counts.reduce(0, +) == flat.count, "split: \(flat.count) values for \(counts.reduce(0, +))")
        var (offset, result) = (0, [[Double]]())
        result.reserveCapacity(counts.count)
        for count in counts {
            result.append(flat[offset..<(offset + count)].map { Double($0) })
            offset += count
        }
        return result
    }
}
