import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// The RLHF layout of a save: the policy's value head beside it under TRL's names, the reward model as a
/// sequence classifier, and no file of an earlier save left behind.
@Suite("RLHF checkpoint layout")
struct RLHFCheckpointTests {
    private static func model(seed: UInt64) -> (GPT2, Tokenizer) {
        let tokens = ["<pad>", "<|endoftext|>", "a", "b", "c"]
        var random = RandomGenerator(seed: seed)
        let config = GPT2Config(vocabularySize: tokens.count, contextLength: 8, embeddingWidth: 8,
                                layerCount: 1, headCount: 2)
        return (GPT2(config: config, random: &random), Tokenizer(tokens: tokens, padToken: "<pad>",
                                                                eosToken: "<|endoftext|>"))
    }

    @Test("the value head is saved as value_head.safetensors with v_head.summary.* and comes back bit for bit")
    func valueHeadRoundTrip() throws {
        let (model, tokenizer) = Self.model(seed: 4)
        var random = RandomGenerator(seed: 9)
        let head = RLHFCheckpoint.newValueHead(width: 8, random: &random)
        head.bias!.data = [0.25]
        let temporary = TemporaryFolder()
        let folder = URL(fileURLWithPath: temporary.pathFor("policy"))
        try RLHFCheckpoint.saveLanguageModel(model, valueHead: head, tokenizer: tokenizer, to: folder)

        let stored = try Safetensors.read(from: folder.appendingPathComponent("value_head.safetensors"))
        #expect(stored.names.sorted() == ["v_head.summary.bias", "v_head.summary.weight"])
        let loaded = try #require(try RLHFCheckpoint.loadValueHead(from: folder, width: 8))
        #expect(loaded.weight.data.map(\.bitPattern) == head.weight.data.map(\.bitPattern))
        #expect(loaded.bias!.data == [0.25])
    }

    @Test("saving the reference or the reward model over a policy folder removes its value head")
    func staleValueHeadRemoved() throws {
        let (model, tokenizer) = Self.model(seed: 5)
        var random = RandomGenerator(seed: 1)
        let temporary = TemporaryFolder()
        let folder = URL(fileURLWithPath: temporary.pathFor("saved"))
        let head = RLHFCheckpoint.newValueHead(width: 8, random: &random)
        try RLHFCheckpoint.saveLanguageModel(model, valueHead: head, tokenizer: tokenizer, to: folder)
        try RLHFCheckpoint.saveLanguageModel(model, valueHead: nil, tokenizer: tokenizer, to: folder)
        #expect(try RLHFCheckpoint.loadValueHead(from: folder, width: 8) == nil)

        try RLHFCheckpoint.saveLanguageModel(model, valueHead: head, tokenizer: tokenizer, to: folder)
        let reward = RewardModel(initialisedFrom: model, tokenizer: tokenizer, random: &random)
        try RLHFCheckpoint.saveRewardModel(reward, tokenizer: tokenizer, to: folder)
        #expect(try RLHFCheckpoint.loadValueHead(from: folder, width: 8) == nil)
        let loaded = try CheckpointFolder.load(from: folder)
        #expect(loaded.kind == .sequenceClassifier)
        #expect(loaded.scoreHead?.weight.data == reward.head.weight.data)
    }
}
