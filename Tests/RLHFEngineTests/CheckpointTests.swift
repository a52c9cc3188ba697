import Foundation
import RLHFEngine
import Testing

/// Saving and loading Hugging Face model folders.
@Suite("Checkpoint: Hugging Face folders")
struct CheckpointTests {
    // MARK: fixtures

    private static let vocabulary = [
        "<pad>", "<|endoftext|>", "create", "a", "description", "for", "plantation", "palms", ".",
        "write", "short", "poem", "about", "the", "sea", ",", "!", "hotel", "garden", "with", "views", "of", "and", "?",
    ]

    static func makeTokenizer() -> Tokenizer {
        Tokenizer(tokens: vocabulary, padToken: "<pad>", eosToken: "<|endoftext|>")
    }

    /// A small model from a fixed seed, with every bias and layer-norm parameter moved
    /// away from its initial 0 or 1, so that a wrong mapping of names would show. Weights
    /// are ~N(0, 0.25) rather than GPT-2's 0.02 so that every tensor's values are far apart.
    /// (tools/check_hf.py compares a real `save` folder with transformers.)
    static func makeModel(seed: UInt64 = 7) -> (GPT2, ScalarHead, ScalarHead) {
        var random = RandomGenerator(seed: seed)
        let config = GPT2Config(vocabularySize: vocabulary.count, contextLength: 16, embeddingWidth: 32,
                                layerCount: 2, headCount: 4, initializerRange: 0.25)
        let model = GPT2(config: config, random: &random)
        for (name, parameter) in model.namedParameters() where name.hasSuffix(".bias") || name.contains(".ln_") {
            let center: Float = name.contains(".ln_") && name.hasSuffix(".weight") ? 1 : 0
            parameter.data = parameter.data.map { _ in center + 0.3 * Float(random.nextNormal()) }
        }
        let valueHead = newHead(width: config.embeddingWidth, random: &random)
        valueHead.weight.data = valueHead.weight.data.map { _ in 0.5 * Float(random.nextNormal()) }
        valueHead.bias!.data = [0.37]
        let rewardHead = ScalarHead.score(width: config.embeddingWidth, random: &random)
        rewardHead.weight.data = rewardHead.weight.data.map { _ in 0.5 * Float(random.nextNormal()) }
        return (model, valueHead, rewardHead)
    }

    /// The file a head with bias is kept in beside a model, as a caller of `saveHead` names it.
    static let headFile = "head.safetensors"

    /// A head with bias, `head.weight` (1, C) and `head.bias` (1).
    static func newHead(width: Int, random: inout RandomGenerator) -> ScalarHead {
        ScalarHead(width: width, hasBias: true, weightName: "head.weight", biasName: "head.bias",
                   standardDeviation: 0.02, random: &random)
    }

    /// A language model saved with (or without) a head in `headFile`.
    static func save(_ model: GPT2, tokenizer: Tokenizer, head: ScalarHead?, to folder: URL,
                     fileSystem: any FileSystem = SystemFileSystem()) throws {
        try CheckpointFolder.save(model: model, tokenizer: tokenizer, to: folder, fileSystem: fileSystem)
        try CheckpointFolder.saveHead(head, as: headFile, in: folder, fileSystem: fileSystem)
    }

    /// A folder read back with the head in `headFile`, when there is one.
    static func load(_ folder: URL,
                     fileSystem: any FileSystem = SystemFileSystem()) throws -> (LoadedCheckpoint, ScalarHead?) {
        let loaded = try CheckpointFolder.load(from: folder, fileSystem: fileSystem)
        var scratch = RandomGenerator(seed: 0)
        let template = newHead(width: loaded.model.config.embeddingWidth, random: &scratch)
        return (loaded, try CheckpointFolder.loadHead(headFile, in: folder, into: template, fileSystem: fileSystem))
    }

    /// A fresh empty folder, removed by `cleanUp`.
    private static func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-checkpoint-\(UUID().uuidString)")
    }

    private static func cleanUp(_ folder: URL) { try? FileManager.default.removeItem(at: folder) }

    private static func bits(_ tensor: Tensor) -> [UInt32] { tensor.data.map(\.bitPattern) }

    private static func sentenceIDs(_ tokenizer: Tokenizer) throws -> [Int] {
        try tokenizer.encode("Create a description for Plantation Palms.", source: "test")
    }

    // MARK: round trips

    @Test("a language model with a head beside it comes back bit for bit")
    func languageModelRoundTrip() throws {
        let (model, valueHead, _) = Self.makeModel()
        let tokenizer = Self.makeTokenizer()
        let folder = Self.temporaryFolder()
        defer { Self.cleanUp(folder) }
        try Self.save(model, tokenizer: tokenizer, head: valueHead, to: folder)

        let (loaded, loadedHead) = try Self.load(folder)
        #expect(loaded.kind == .languageModel)
        #expect(loaded.model.config == model.config)
        #expect(loaded.tokenizer == tokenizer)
        #expect(loaded.scoreHead == nil)
        let original = model.namedParameters()
        let restored = loaded.model.namedParameters()
        #expect(original.map(\.0) == restored.map(\.0))
        for ((name, before), (_, after)) in zip(original, restored) {
            #expect(Self.bits(before) == Self.bits(after), "\(name) differs")
        }
        let head = try #require(loadedHead)
        #expect(Self.bits(head.weight) == Self.bits(valueHead.weight))
        #expect(Self.bits(head.bias!) == Self.bits(valueHead.bias!))

        let ids = try Self.sentenceIDs(tokenizer) + [tokenizer.eosID]
        let logits = GradientMode.withoutRecording { model.logits([ids]) }
        let reloadedLogits = GradientMode.withoutRecording { loaded.model.logits([ids]) }
        #expect(logits.shape == reloadedLogits.shape)
        #expect(Self.bits(logits) == Self.bits(reloadedLogits))
    }

    @Test("a sequence classifier comes back with its score head")
    func rewardModelRoundTrip() throws {
        let (model, _, rewardHead) = Self.makeModel(seed: 11)
        let tokenizer = Self.makeTokenizer()
        let folder = Self.temporaryFolder()
        defer { Self.cleanUp(folder) }
        try CheckpointFolder.saveSequenceClassifier(model: model, scoreHead: rewardHead, tokenizer: tokenizer,
                                                    to: folder)

        let (loaded, otherHead) = try Self.load(folder)
        #expect(loaded.kind == .sequenceClassifier)
        #expect(otherHead == nil)
        let head = try #require(loaded.scoreHead)
        #expect(head.bias == nil)
        #expect(Self.bits(head.weight) == Self.bits(rewardHead.weight))
        for ((name, before), (_, after)) in zip(model.namedParameters(), loaded.model.namedParameters()) {
            #expect(Self.bits(before) == Self.bits(after), "\(name) differs")
        }
        let weights = try Safetensors.read(from: folder.appendingPathComponent(CheckpointFolder.weightsFile))
        #expect(weights.names.contains("score.weight"))
        #expect(!weights.names.contains("lm_head.weight"))
    }

    @Test("saving twice gives identical bytes, and no temporary files are left")
    func savingIsDeterministic() throws {
        let (model, valueHead, _) = Self.makeModel()
        let tokenizer = Self.makeTokenizer()
        let (first, second) = (Self.temporaryFolder(), Self.temporaryFolder())
        defer { Self.cleanUp(first); Self.cleanUp(second) }
        try Self.save(model, tokenizer: tokenizer, head: valueHead, to: first)
        try Self.save(model.copy(), tokenizer: tokenizer, head: valueHead.copy(), to: second)
        try Self.save(model, tokenizer: tokenizer, head: valueHead, to: second)  // over itself

        let names = try FileManager.default.contentsOfDirectory(atPath: first.path).sorted()
        #expect(names == ["config.json", "head.safetensors", "model.safetensors", "tokenizer.json",
                          "tokenizer_config.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: second.path).sorted() == names)
        for name in names {
            let a = try Data(contentsOf: first.appendingPathComponent(name))
            let b = try Data(contentsOf: second.appendingPathComponent(name))
            #expect(a == b, "\(name) differs between two saves")
        }
    }

    @Test("saving without a head removes a stale one")
    func staleValueHeadRemoved() throws {
        let (model, valueHead, _) = Self.makeModel()
        let tokenizer = Self.makeTokenizer()
        let folder = Self.temporaryFolder()
        defer { Self.cleanUp(folder) }
        try Self.save(model, tokenizer: tokenizer, head: valueHead, to: folder)
        try Self.save(model, tokenizer: tokenizer, head: nil, to: folder)
        #expect(try Self.load(folder).1 == nil)
    }

    @Test("config.json carries what transformers needs")
    func configContents() throws {
        let (model, _, rewardHead) = Self.makeModel()
        let tokenizer = Self.makeTokenizer()
        let folder = Self.temporaryFolder()
        defer { Self.cleanUp(folder) }
        try CheckpointFolder.saveSequenceClassifier(model: model, scoreHead: rewardHead, tokenizer: tokenizer,
                                                    to: folder)
        let data = try Data(contentsOf: folder.appendingPathComponent("config.json"))
        let config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(config["model_type"] as? String == "gpt2")
        #expect(config["architectures"] as? [String] == ["GPT2ForSequenceClassification"])
        #expect(config["activation_function"] as? String == "gelu_new")
        #expect(config["n_embd"] as? Int == 32)
        #expect(config["n_head"] as? Int == 4)
        #expect(config["n_layer"] as? Int == 2)
        #expect(config["n_positions"] as? Int == 16)
        #expect(config["vocab_size"] as? Int == Self.vocabulary.count)
        #expect(config["eos_token_id"] as? Int == 1)
        #expect(config["bos_token_id"] as? Int == 1)
        #expect(config["pad_token_id"] as? Int == 0)
        #expect(config["n_inner"] is NSNull)
        #expect(config["id2label"] as? [String: String] == ["0": "LABEL_0"])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"layer_norm_epsilon\": 1e-05,"))
        #expect(text.contains("\"initializer_range\": 0.25,"))
        #expect(text.contains("\"tie_word_embeddings\": true,"))
    }

    // MARK: errors

    /// Saves a good language model folder, lets `damage` break it, and expects loading to
    /// fail with a message mentioning each of `parts`.
    private static func expectLoadError(mentions parts: [String], damage: (URL) throws -> Void) throws {
        let (model, valueHead, _) = makeModel()
        let folder = temporaryFolder()
        defer { cleanUp(folder) }
        try Self.save(model, tokenizer: makeTokenizer(), head: valueHead, to: folder)
        try damage(folder)
        let error = #expect(throws: CheckpointError.self) { _ = try Self.load(folder) }
        let message = error?.description ?? ""
        for part in parts {
            #expect(message.contains(part), "\"\(message)\" should mention \(part)")
        }
    }

    /// Rewrites one safetensors file of the folder after changing its tensors.
    private static func edit(_ folder: URL, _ file: String, _ change: (inout [String: StoredTensor]) -> Void) throws {
        let url = folder.appendingPathComponent(file)
        var tensors = try Safetensors.read(from: url).tensors
        change(&tensors)
        try Safetensors.write(tensors, to: url)
    }

    /// Rewrites config.json after changing its fields.
    private static func editConfig(_ folder: URL, _ change: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        change(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: url)
    }

    @Test("a missing file is named", arguments: ["config.json", "model.safetensors", "tokenizer.json"])
    func missingFile(name: String) throws {
        try Self.expectLoadError(mentions: [name, "no such file"]) { folder in
            try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    @Test("a missing tensor is named with its file")
    func missingTensor() throws {
        try Self.expectLoadError(mentions: ["model.safetensors", "\"transformer.h.1.mlp.c_fc.bias\"", "missing"]) { folder in
            try Self.edit(folder, "model.safetensors") { $0["transformer.h.1.mlp.c_fc.bias"] = nil }
        }
        try Self.expectLoadError(mentions: ["head.safetensors", "\"head.bias\"", "missing"]) { folder in
            try Self.edit(folder, "head.safetensors") { $0["head.bias"] = nil }
        }
    }

    @Test("a wrong shape names the file, the tensor, and both shapes")
    func wrongShape() throws {
        try Self.expectLoadError(mentions: ["model.safetensors", "\"transformer.h.0.attn.c_attn.weight\"",
                                            "has shape [96, 32], expected [32, 96]"]) { folder in
            try Self.edit(folder, "model.safetensors") { tensors in
                let weight = tensors["transformer.h.0.attn.c_attn.weight"]!
                tensors["transformer.h.0.attn.c_attn.weight"] = StoredTensor(shape: [96, 32], values: weight.values)
            }
        }
        try Self.expectLoadError(mentions: ["head.safetensors", "\"head.weight\"",
                                            "has shape [32], expected [1, 32]"]) { folder in
            try Self.edit(folder, "head.safetensors") { tensors in
                tensors["head.weight"] = StoredTensor(shape: [32], values: tensors["head.weight"]!.values)
            }
        }
    }

    @Test("an unexpected tensor is named")
    func unexpectedTensor() throws {
        try Self.expectLoadError(mentions: ["model.safetensors", "unexpected tensor \"transformer.h.2.ln_1.weight\""]) { folder in
            try Self.edit(folder, "model.safetensors") { $0["transformer.h.2.ln_1.weight"] = StoredTensor(shape: [1], values: [1]) }
        }
    }

    @Test("a truncated model.safetensors is reported with the tensor that runs past the end")
    func truncatedWeights() throws {
        try Self.expectLoadError(mentions: ["model.safetensors", "truncated", "\"transformer.wte.weight\""]) { folder in
            let url = folder.appendingPathComponent("model.safetensors")
            // wte is the last tensor in name order: cutting 4 bytes leaves only it incomplete.
            try Data(contentsOf: url).dropLast(4).write(to: url)
        }
        try Self.expectLoadError(mentions: ["model.safetensors", "truncated", "header length"]) { folder in
            let url = folder.appendingPathComponent("model.safetensors")
            try Data(contentsOf: url).prefix(100).write(to: url)
        }
    }

    @Test("a tensor of another dtype is named with the dtype")
    func unknownDType() throws {
        try Self.expectLoadError(mentions: ["model.safetensors", "\"transformer.h.0.attn.c_attn.bias\"", "BF16"]) { folder in
            let url = folder.appendingPathComponent("model.safetensors")
            var bytes = try Data(contentsOf: url)
            // "F32" -> "BF16" lengthens the header by one byte: drop a padding space (or pad
            // anew) so the header stays a multiple of 8 long; the data offsets are unchanged.
            let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            var header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
            let target = #""transformer.h.0.attn.c_attn.bias":{"dtype":"F32""#
            header = header.replacingOccurrences(of: target, with: target.replacingOccurrences(of: "F32", with: "BF16"))
            header = header.hasSuffix(" ") ? String(header.dropLast()) : header + "       "
            var newLength = UInt64(header.utf8.count).littleEndian
            bytes.replaceSubrange(0..<(8 + length), with: Data(bytes: &newLength, count: 8) + Data(header.utf8))
            try bytes.write(to: url)
        }
    }

    @Test("config.json's layer_norm_epsilon is the Float nearest its decimal (rounded once, not via a Double)")
    func epsilonRoundedOnce() throws {
        // Just past the midpoint of the Floats 0x3727C5AC and 0x3727C5AD: its Double is the midpoint itself,
        // which rounds to the even Float below; the decimal is nearer the one above.
        let decimal = "1.0000000202126102522015571594238281251e-5"
        #expect(Float(decimal)?.bitPattern == 0x3727_C5AD && Float(Double(decimal)!).bitPattern == 0x3727_C5AC)
        let (model, _, _) = Self.makeModel()
        let folder = Self.temporaryFolder()
        defer { Self.cleanUp(folder) }
        try Self.save(model, tokenizer: Self.makeTokenizer(), head: nil, to: folder)
        let url = folder.appendingPathComponent("config.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("\"layer_norm_epsilon\": 1e-05,"))
        try text.replacingOccurrences(of: "\"layer_norm_epsilon\": 1e-05,", with: "\"layer_norm_epsilon\": \(decimal),")
            .write(to: url, atomically: true, encoding: .utf8)
        let (loaded, _) = try Self.load(folder)
        #expect(loaded.model.config.layerNormEpsilon.bitPattern == 0x3727_C5AD)
    }

    @Test("a config.json without a field names the field", arguments: ["n_head", "vocab_size", "layer_norm_epsilon", "eos_token_id"])
    func configMissingField(field: String) throws {
        try Self.expectLoadError(mentions: ["config.json", "\"\(field)\"", "missing"]) { folder in
            try Self.editConfig(folder) { $0[field] = nil }
        }
    }

    @Test("a config.json asking for something our GPT-2 does not do is refused")
    func configUnsupported() throws {
        try Self.expectLoadError(mentions: ["config.json", "\"activation_function\"", "relu"]) { folder in
            try Self.editConfig(folder) { $0["activation_function"] = "relu" }
        }
        try Self.expectLoadError(mentions: ["config.json", "\"n_head\"", "5 heads"]) { folder in
            try Self.editConfig(folder) { $0["n_head"] = 5 }
        }
        try Self.expectLoadError(mentions: ["config.json", "\"tie_word_embeddings\""]) { folder in
            try Self.editConfig(folder) { $0["tie_word_embeddings"] = false }
        }
    }

    @Test("a config.json that is not JSON is named")
    func configNotJSON() throws {
        try Self.expectLoadError(mentions: ["config.json", "not valid JSON"]) { folder in
            try Data("{\"n_embd\": ".utf8).write(to: folder.appendingPathComponent("config.json"))
        }
    }

    @Test("a tokenizer.json whose vocabulary disagrees with config.json is named")
    func tokenizerMismatch() throws {
        try Self.expectLoadError(mentions: ["tokenizer.json", "vocab_size"]) { folder in
            try Self.editConfig(folder) { $0["vocab_size"] = 30 }
        }
    }
}
