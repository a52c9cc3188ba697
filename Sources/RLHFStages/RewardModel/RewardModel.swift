import RLHFEngine

/// A reward model: a GPT-2 backbone with a scalar head, read at the final token.
///
/// It scores one text alone: r(prompt, response) is the head's output at the EOS that
/// closes `prompt + response + EOS` (a rollout cut off before EOS is read at its last token).
/// (Hugging Face's `GPT2ForSequenceClassification` reads the last non-padding token, which with
/// right padding is that same EOS.)
/// Trained on comparisons, it only ever learns differences: r(chosen) - r(rejected).
public final class RewardModel {
    public let backbone: GPT2
    public let head: ScalarHead
    public let eosID: Int
    public let padID: Int

    public init(backbone: GPT2, head: ScalarHead, eosID: Int, padID: Int) {
        self.backbone = backbone
        self.head = head
        self.eosID = eosID
        self.padID = padID
    }

    /// A reward model whose backbone starts as a copy of `model` (the SFT model) and
    /// whose head starts small and random.
    public convenience init(initialisedFrom model: GPT2, tokenizer: Tokenizer, random: inout RandomGenerator) {
        self.init(backbone: model.copy(),
                  head: ScalarHead.score(width: model.config.embeddingWidth, random: &random),
                  eosID: tokenizer.eosID, padID: tokenizer.padID)
    }

    public var parameters: [Tensor] { backbone.parameters + head.parameters }

    /// The scores of a batch of prompt/response pairs, each read at the EOS that closes
    /// `prompt + response + EOS`, differentiable: (B).
    public func scores(_ batch: [PromptResponse]) -> Tensor {
        scores(sequences: batch.map { $0.modelInput(eosID: eosID) })
    }

    /// The scores of token sequences, each read at its own last token, differentiable: (B).
    /// (A rollout cut off without EOS is scored as it stands, at its last real token, as TRL does.)
    /// The rows are packed end to end (`PackedRows`) and the head reads only the last tokens: the bits of
    /// reading the head at every position of the right-padded batch and picking the last tokens', whose
    /// other positions get exact zeros as gradients (adding +-0 to a sum from +0 changes no bit).
    /// With no graph recorded, only the last positions are read out (`hiddenStates(ofRows:from:)`): the same bits.
    public func scores(sequences rows: [[Int]]) -> Tensor {
        guard GradientMode.isRecording else {
            return head(backbone.hiddenStates(ofRows: rows, from: rows.map { $0.count - 1 }))  // (B)
        }
        let packed = PackedRows(rows)
        let hidden = backbone.hiddenStates(packed: packed)  // (N, C)
        return head(hidden.selectRows(packed.lastIndices))  // (B)
    }

    /// The score of one prompt/response, with no graph recorded.
    public func score(_ pair: PromptResponse) -> Double {
        GradientMode.withoutRecording { Double(scores([pair]).item) }
    }

    /// The score of one token sequence read at its last token, with no graph recorded.
    public func score(sequence: [Int]) -> Double {
        GradientMode.withoutRecording { Double(scores(sequences: [sequence]).item) }
    }

    /// A deep copy (to keep a model as it was before a command changes it).
    public func copy() -> RewardModel {
        RewardModel(backbone: backbone.copy(), head: head.copy(), eosID: eosID, padID: padID)
    }
}
