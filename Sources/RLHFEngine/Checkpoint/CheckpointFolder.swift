import Foundation

/// Which Hugging Face class a checkpoint folder loads as.
public enum CheckpointKind: String, CaseIterable, Sendable {
    /// `GPT2LMHeadModel`: the language model (policy, SFT model, reference).
    case languageModel
    /// `GPT2ForSequenceClassification` with one label: the reward model.
    case rewardModel

    /// The class name written in `config.json`'s `architectures`.
    public var architecture: String {
        switch self {
        case .languageModel: return "GPT2LMHeadModel"
        case .rewardModel: return "GPT2ForSequenceClassification"
        }
    }
}

/// A checkpoint read back from a folder.
public struct LoadedCheckpoint {
    public let kind: CheckpointKind
    public let model: GPT2
    public let tokenizer: Tokenizer
    /// PPO's value head, when the folder has `value_head.safetensors`.
    public let valueHead: ScalarHead?
    /// The reward model's `score` head, for a `.rewardModel` folder.
    public let rewardHead: ScalarHead?
}

/// A model saved as a Hugging Face model folder, loadable with `from_pretrained`:
///
///     config.json              GPT2Config, with the pad and end-of-sequence ids
///     model.safetensors        transformer.* (and score.weight for a reward model), F32;
///                              no lm_head.weight, which is tied to transformer.wte.weight
///     tokenizer.json           the vocabulary as a `tokenizers` WordLevel model
///     tokenizer_config.json    so that AutoTokenizer finds it and its special tokens
///     value_head.safetensors   optional: v_head.summary.weight/bias, as TRL names them
///
/// Every file is written to a temporary file in the folder and renamed into place (`SafeFile`);
/// `SafeFile.replaceFolder` makes a save of several folders atomic as a whole.
public enum CheckpointFolder {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    public static let tokenizerFile = "tokenizer.json"
    public static let tokenizerConfigFile = "tokenizer_config.json"
    public static let valueHeadFile = "value_head.safetensors"

    /// Saves a language model (`GPT2LMHeadModel`), and PPO's value head when given, into
    /// `folder` (created if needed). A `value_head.safetensors` left from an earlier save
    /// is removed when `valueHead` is nil.
    public static func save(model: GPT2, tokenizer: Tokenizer, valueHead: ScalarHead? = nil, to folder: URL,
                            fileSystem: any FileSystem = SystemFileSystem()) throws {
        try prepare(folder, model: model, tokenizer: tokenizer, fileSystem: fileSystem)
        if let valueHead {
            precondition(valueHead.weight.shape == [1, model.config.embeddingWidth], "value head width differs from the model's")
            try Safetensors.write(tensors(of: valueHead), to: folder.appendingPathComponent(valueHeadFile),
                                  fileSystem: fileSystem)
        } else {
            try removeIfPresent(folder.appendingPathComponent(valueHeadFile), fileSystem: fileSystem)
        }
        try Safetensors.write(tensors(of: model), to: folder.appendingPathComponent(weightsFile),
                              fileSystem: fileSystem)
        try writeJSONFiles(model: model, tokenizer: tokenizer, kind: .languageModel, to: folder, fileSystem: fileSystem)
    }

    /// Saves a reward model (`GPT2ForSequenceClassification`, one label): the backbone
    /// under `transformer.*` and the head as `score.weight` (1, C), which has no bias.
    public static func saveRewardModel(model: GPT2, rewardHead: ScalarHead, tokenizer: Tokenizer, to folder: URL,
                                       fileSystem: any FileSystem = SystemFileSystem()) throws {
        precondition(rewardHead.bias == nil, "GPT2ForSequenceClassification's score head has no bias")
        precondition(rewardHead.weight.shape == [1, model.config.embeddingWidth], "reward head width differs from the model's")
        var weights = tensors(of: model)
        weights[rewardWeightName] = StoredTensor(rewardHead.weight)
        try prepare(folder, model: model, tokenizer: tokenizer, fileSystem: fileSystem)
        try removeIfPresent(folder.appendingPathComponent(valueHeadFile), fileSystem: fileSystem)
        try Safetensors.write(weights, to: folder.appendingPathComponent(weightsFile), fileSystem: fileSystem)
        try writeJSONFiles(model: model, tokenizer: tokenizer, kind: .rewardModel, to: folder, fileSystem: fileSystem)
    }

    /// Loads a folder written by `save` or `saveRewardModel` (or by `transformers`, for a
    /// GPT-2 with a WordLevel tokenizer). Values are restored bit for bit.
    ///
    /// Everything is checked before a model is allocated: the config's sizes against fixed
    /// bounds and against the tensors the weights file holds (so the allocation is no larger
    /// than the file), every stored value is finite, every shape is the model's.
    /// - Throws: `CheckpointError` naming the file and the tensor or field at fault.
    public static func load(from folder: URL,
                            fileSystem: any FileSystem = SystemFileSystem()) throws -> LoadedCheckpoint {
        let configURL = folder.appendingPathComponent(configFile)
        let parsed = try HuggingFaceFiles.parseConfig(
            JSONFields(parsing: CheckpointFiles.read(configURL, fileSystem: fileSystem), file: configURL.path))
        let config = parsed.config

        let tokenizerURL = folder.appendingPathComponent(tokenizerFile)
        let tokens = try HuggingFaceFiles.parseTokens(
            JSONFields(parsing: CheckpointFiles.read(tokenizerURL, fileSystem: fileSystem), file: tokenizerURL.path))
        guard tokens.count == config.vocabularySize else {
            throw CheckpointError.invalidField(
                file: tokenizerURL.path, field: "model.vocab",
                detail: "\(tokens.count) tokens, but \(configFile) has vocab_size \(config.vocabularySize)")
        }
        let tokenizer = Tokenizer(tokens: tokens, padToken: tokens[parsed.padID], eosToken: tokens[parsed.eosID])

        let weights = try Safetensors.read(from: folder.appendingPathComponent(weightsFile), fileSystem: fileSystem)
        try requireLayout(of: weights, matching: config, configFile: configURL.path)
        try requireFinite(weights)
        var scratch = RandomGenerator(seed: 0)
        let model = GPT2(config: config, random: &scratch)
        var expected = Set<String>()
        for (name, parameter) in model.namedParameters() {
            parameter.data = try weights.values(name, shape: parameter.shape)
            expected.insert(name)
        }
        var rewardHead: ScalarHead? = nil
        if parsed.kind == .rewardModel {
            let head = ScalarHead.rewardHead(width: config.embeddingWidth, random: &scratch)
            head.weight.data = try weights.values(rewardWeightName, shape: head.weight.shape)
            expected.insert(rewardWeightName)
            rewardHead = head
        }
        for name in weights.names where !expected.contains(name) {
            // Files written by older `transformers` may hold the tied head and attention buffers.
            if name == "lm_head.weight", weights.tensors[name] == weights.tensors["transformer.wte.weight"] { continue }
            if name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") { continue }
            throw CheckpointError.unexpectedTensor(file: weights.file, tensor: name)
        }

        var valueHead: ScalarHead? = nil
        let valueURL = folder.appendingPathComponent(valueHeadFile)
        if fileSystem.kind(of: valueURL.path) != .missing {
            let stored = try Safetensors.read(from: valueURL, fileSystem: fileSystem)
            try requireFinite(stored)
            let head = ScalarHead.valueHead(width: config.embeddingWidth, random: &scratch)
            for (name, parameter) in head.namedParameters() {
                parameter.data = try stored.values(name, shape: parameter.shape)
            }
            let names = Set(head.namedParameters().map { $0.0 })
            if let extra = stored.names.first(where: { !names.contains($0) }) {
                throw CheckpointError.unexpectedTensor(file: stored.file, tensor: extra)
            }
            valueHead = head
        }
        return LoadedCheckpoint(kind: parsed.kind, model: model, tokenizer: tokenizer,
                                valueHead: valueHead, rewardHead: rewardHead)
    }

    /// The token and position tables and the number of blocks in `weights` must be those
    /// `config` describes, so a config that asks for more than the file holds is refused
    /// before the model is allocated.
    private static func requireLayout(of weights: SafetensorsFile, matching config: GPT2Config,
                                      configFile: String) throws {
        let tables = [("transformer.wte.weight", [config.vocabularySize, config.embeddingWidth], "vocab_size, n_embd"),
                      ("transformer.wpe.weight", [config.contextLength, config.embeddingWidth], "n_positions, n_embd")]
        for (name, shape, fields) in tables {
            guard let stored = weights.tensors[name] else {
                throw CheckpointError.missingTensor(file: weights.file, tensor: name)
            }
            guard stored.shape == shape else {
                throw CheckpointError.invalidField(
                    file: configFile, field: fields,
                    detail: "asks for \(name) of shape \(shape) but \(weights.file) holds \(stored.shape)")
            }
        }
        let blocks = Set(weights.names.compactMap { name -> Int? in
            guard name.hasPrefix("transformer.h.") else { return nil }
            return Int(name.dropFirst("transformer.h.".count).prefix { $0 != "." })
        })
        guard (0..<config.layerCount).allSatisfy(blocks.contains) else {
            throw CheckpointError.invalidField(
                file: configFile, field: "n_layer",
                detail: "asks for \(config.layerCount) blocks but \(weights.file) holds \(blocks.count)")
        }
    }

    /// Every value of every tensor is finite.
    private static func requireFinite(_ weights: SafetensorsFile) throws {
        for name in weights.names {
            let values = weights.tensors[name]!.values
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw CheckpointError.nonFinite(file: weights.file, tensor: name, index: index, value: values[index])
            }
        }
    }

    // MARK: - Parts

    static let rewardWeightName = "score.weight"

    private static func tensors(of model: GPT2) -> [String: StoredTensor] {
        Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, StoredTensor($0.1)) })
    }

    private static func tensors(of head: ScalarHead) -> [String: StoredTensor] {
        Dictionary(uniqueKeysWithValues: head.namedParameters().map { ($0.0, StoredTensor($0.1)) })
    }

    private static func prepare(_ folder: URL, model: GPT2, tokenizer: Tokenizer, fileSystem: any FileSystem) throws {
        precondition(tokenizer.vocabularySize == model.config.vocabularySize,
                     "tokenizer has \(tokenizer.vocabularySize) tokens, the model \(model.config.vocabularySize)")
        // The folder and any missing parents, outermost first.
        var missing: [URL] = []
        var current = folder.standardizedFileURL
        while fileSystem.kind(of: current.path) == .missing, current.path != "/" {
            missing.append(current)
            current = current.deletingLastPathComponent()
        }
        do {
            for url in missing.reversed() { try fileSystem.createFolder(url.path) }
        } catch let error as FileError {
            throw CheckpointError.ioFailure(file: error.path, reason: error.reason)
        }
        switch fileSystem.kind(of: folder.path) {
        case .folder: break
        case .missing, .regularFile: throw CheckpointError.ioFailure(file: folder.path, reason: "is not a folder")
        case let .special(what): throw CheckpointError.ioFailure(file: folder.path, reason: "is \(what), not a folder")
        }
    }

    /// The tokenizer files, then `config.json` last, once everything it describes is in place.
    private static func writeJSONFiles(model: GPT2, tokenizer: Tokenizer, kind: CheckpointKind, to folder: URL,
                                       fileSystem: any FileSystem) throws {
        let files: [(String, JSONText)] = [
            (tokenizerFile, HuggingFaceFiles.tokenizer(tokenizer)),
            (tokenizerConfigFile, HuggingFaceFiles.tokenizerConfig(tokenizer, contextLength: model.config.contextLength)),
            (configFile, HuggingFaceFiles.config(model.config, tokenizer: tokenizer, kind: kind)),
        ]
        for (name, json) in files {
            try CheckpointFiles.writeAtomically(Data(json.rendered().utf8), to: folder.appendingPathComponent(name),
                                                fileSystem: fileSystem)
        }
    }

    private static func removeIfPresent(_ url: URL, fileSystem: any FileSystem) throws {
        guard fileSystem.kind(of: url.path) != .missing else { return }
        do {
            try fileSystem.removeTree(url.path)
        } catch let error as FileError {
            throw CheckpointError.ioFailure(file: url.path, reason: "cannot remove the stale file (\(error.reason))")
        }
    }
}
