import Foundation
import RLHFEngine

/// The RLHF models as Hugging Face folders, on top of the engine's `CheckpointFolder`:
///
///     policy/      GPT2LMHeadModel, and its critic in value_head.safetensors:
///                  v_head.summary.weight (1, C) and v_head.summary.bias (1), as TRL names them
///     reference/   GPT2LMHeadModel (the frozen SFT model)
///     reward/      GPT2ForSequenceClassification with one label: the reward model, score.weight (1, C)
///
/// A folder saved without a value head loses one left by an earlier save, so a folder never
/// mixes two saves.
public enum RLHFCheckpoint {
    /// The value head's file beside the policy's model.safetensors.
    public static let valueHeadFile = "value_head.safetensors"

    /// TRL's value head `v_head.summary`: an nn.Linear(C, 1) with bias, initialised ~N(0, 0.02).
    public static func newValueHead(width: Int, random: inout RandomGenerator) -> ScalarHead {
        ScalarHead(width: width, hasBias: true, weightName: "v_head.summary.weight",
                   biasName: "v_head.summary.bias", standardDeviation: 0.02, random: &random)
    }

    /// Saves a language model, with the policy's value head when given (none for the reference).
    public static func saveLanguageModel(_ model: GPT2, valueHead: ScalarHead?, tokenizer: Tokenizer,
                                         to folder: URL, fileSystem: any FileSystem = SystemFileSystem()) throws {
        if let valueHead {
            precondition(valueHead.weight.shape == [1, model.config.embeddingWidth],
                         "value head width differs from the model's")
        }
        try CheckpointFolder.save(model: model, tokenizer: tokenizer, to: folder, fileSystem: fileSystem)
        try CheckpointFolder.saveHead(valueHead, as: valueHeadFile, in: folder, fileSystem: fileSystem)
    }

    /// Saves the reward model as a `GPT2ForSequenceClassification` folder.
    public static func saveRewardModel(_ reward: RewardModel, tokenizer: Tokenizer, to folder: URL,
                                       fileSystem: any FileSystem = SystemFileSystem()) throws {
        try CheckpointFolder.saveSequenceClassifier(model: reward.backbone, scoreHead: reward.head,
                                                    tokenizer: tokenizer, to: folder, fileSystem: fileSystem)
        try CheckpointFolder.saveHead(nil, as: valueHeadFile, in: folder, fileSystem: fileSystem)
    }

    /// The value head saved beside a language model of width `width`, or nil when the folder has none.
    /// - Throws: `CheckpointError` naming value_head.safetensors and the tensor at fault.
    public static func loadValueHead(from folder: URL, width: Int,
                                     fileSystem: any FileSystem = SystemFileSystem()) throws -> ScalarHead? {
        var scratch = RandomGenerator(seed: 0)
        return try CheckpointFolder.loadHead(valueHeadFile, in: folder,
                                             into: newValueHead(width: width, random: &scratch), fileSystem: fileSystem)
    }
}
