import RLHFEngine

/// A reward model: a GPT-2 backbone with a scalar head, read at the final token.
///
/// It scores one text alone: r(prompt, response) is the head's output at the EOS that
/// closes `prompt + response + EOS`. (Hugging Face's `GPT2ForSequenceClassification`
/// reads the last non-padding token, which with right padding is that same EOS.)
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
                  head: ScalarHead.rewardHead(width: model.config.embeddingWidth, random: &random),
                  eosID: tokenizer.eosID, padID: tokenizer.padID)
    }

    public var parameters: [Tensor] { backbone.parameters + head.parameters }

    /// The scores of a batch, differentiable: (B).
    public func scores(_ batch: [PromptResponse]) -> Tensor {
        let rows = batch.map { $0.modelInput(eosID: eosID) }
        let padded = Batching.padRight(rows, padID: padID)
        let length = padded[0].count
        let perPosition = head(backbone.hiddenStates(padded))  // (B, T)
        // The position of each row's closing EOS, in the flattened (B * T) order.
        let finalPositions = rows.enumerated().map { row, tokens in row * length + tokens.count - 1 }
        return perPosition.reshaped([batch.count * length]).selectRows(finalPositions)  // (B)
    }

    /// The score of one prompt/response, with no graph recorded.
    public func score(_ pair: PromptResponse) -> Double {
        GradientMode.withoutRecording { Double(scores([pair]).item) }
    }

    /// A deep copy (to keep a model as it was before a command changes it).
    public func copy() -> RewardModel {
        RewardModel(backbone: backbone.copy(), head: head.copy(), eosID: eosID, padID: padID)
    }

    /// Overwrites this model's values with those of `other`.
    public func copyValues(from other: RewardModel) {
        backbone.copyValues(from: other.backbone)
        head.weight.data = other.head.weight.data
    }
}
