import Foundation

/// Which Hugging Face class a checkpoint folder loads as.
public enum CheckpointKind: String, CaseIterable, Sendable {
    /// `GPT2LMHeadModel`: a language model with its tied head.
    case languageModel
    /// `GPT2ForSequenceClassification` with one label: a backbone and a `score` head.
    case sequenceClassifier

    /// The class name written in `config.json`'s `architectures`.
    public var architecture: String {
        switch self {
        case .languageModel: return "GPT2LMHeadModel"
        case .sequenceClassifier: return "GPT2ForSequenceClassification"
        }
    }
}

/// A checkpoint read back from a folder.
public struct LoadedCheckpoint {
    public let kind: CheckpointKind
    public let model: GPT2
    public let tokenizer: Tokenizer
    /// The `score` head (`score.weight`, no bias), for a `.sequenceClassifier` folder.
    public let scoreHead: ScalarHead?

    /// Why this model cannot work beside models that read `tokenizer`'s ids with `contextLength` positions
    /// (`theirs` names them in the message, as "this world's"), or nil: one model's ids fed to another must
    /// mean the same tokens, and every prompt must fit each of them. Checked: the vocabulary token by token,
    /// the eos and pad ids, n_positions.
    public func mismatch(tokenizer other: Tokenizer, contextLength: Int, theirs: String) -> String? {
        if tokenizer.tokens.count != other.tokens.count {
            return "its vocabulary has \(tokenizer.tokens.count) tokens, \(theirs) \(other.tokens.count)"
        }
        if let id = tokenizer.tokens.indices.first(where: { tokenizer.tokens[$0] != other.tokens[$0] }) {
            // Quoted as JSON strings: a token may hold a quote or a newline, and the message stays one line.
            let (mine, yours) = (JSONFields.written(.string(tokenizer.tokens[id])),
                                 JSONFields.written(.string(other.tokens[id])))
            return "its token id \(id) is \(mine), in \(theirs) vocabulary \(yours)"
        }
        if tokenizer.eosID != other.eosID || tokenizer.padID != other.padID {
            return "eos_token_id \(tokenizer.eosID) and pad_token_id \(tokenizer.padID) differ from \(theirs) "
                + "\(other.eosID) and \(other.padID)"
        }
        if model.config.contextLength != contextLength {
            return "n_positions is \(model.config.contextLength), \(theirs) is \(contextLength)"
        }
        return nil
    }
}

/// A model saved as a Hugging Face model folder, loadable with `from_pretrained`:
///
///     config.json              GPT2Config, with the pad and end-of-sequence ids
///     model.safetensors        transformer.* (and score.weight for a sequence classifier), F32;
///                              no lm_head.weight, which is tied to transformer.wte.weight
///     tokenizer.json           the vocabulary as a `tokenizers` WordLevel model
///     tokenizer_config.json    so that AutoTokenizer finds it and its special tokens
///
/// A head kept beside the model in a file of its own (`saveHead`, `loadHead`) is the caller's to name.
///
/// Every file is written to a temporary file in the folder and renamed into place (`SafeFile`);
/// `SafeFile.replaceFolder` makes a save of several folders atomic as a whole.
public enum CheckpointFolder {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    public static let tokenizerFile = "tokenizer.json"
    public static let tokenizerConfigFile = "tokenizer_config.json"

    /// Saves a language model (`GPT2LMHeadModel`) into `folder` (created if needed).
    public static func save(model: GPT2, tokenizer: Tokenizer, to folder: URL,
                            fileSystem: any FileSystem = SystemFileSystem()) throws {
        try prepare(folder, model: model, tokenizer: tokenizer, fileSystem: fileSystem)
        try Safetensors.write(tensors(of: model), to: folder.appendingPathComponent(weightsFile),
                              fileSystem: fileSystem)
        try writeJSONFiles(model: model, tokenizer: tokenizer, kind: .languageModel, to: folder,
                           fileSystem: fileSystem)
    }

    /// Saves a sequence classifier (`GPT2ForSequenceClassification`, one label): the backbone
    /// under `transformer.*` and the head as `score.weight` (1, C), which has no bias.
    public static func saveSequenceClassifier(model: GPT2, scoreHead: ScalarHead, tokenizer: Tokenizer,
                                              to folder: URL, fileSystem: any FileSystem = SystemFileSystem()) throws {
        precondition(scoreHead.bias == nil, "GPT2ForSequenceClassification's score head has no bias")
        precondition(scoreHead.weight.shape == [1, model.config.embeddingWidth],
                     "score head width differs from the model's")
        var weights = tensors(of: model)
        weights[scoreWeightName] = StoredTensor(scoreHead.weight)
        try prepare(folder, model: model, tokenizer: tokenizer, fileSystem: fileSystem)
        try Safetensors.write(weights, to: folder.appendingPathComponent(weightsFile), fileSystem: fileSystem)
        try writeJSONFiles(model: model, tokenizer: tokenizer, kind: .sequenceClassifier, to: folder,
                           fileSystem: fileSystem)
    }

    /// Writes `head`'s named tensors to the safetensors file `file` in `folder` (which must exist);
    /// a nil head removes a `file` left there by an earlier save.
    public static func saveHead(_ head: ScalarHead?, as file: String, in folder: URL,
                                fileSystem: any FileSystem = SystemFileSystem()) throws {
        let url = folder.appendingPathComponent(file)
        guard let head else { return try removeIfPresent(url, fileSystem: fileSystem) }
        try Safetensors.write(tensors(of: head), to: url, fileSystem: fileSystem)
    }

    /// Reads the safetensors file `file` in `folder` into a head shaped and named as `template`
    /// (whose values are replaced), or nil when the file is absent.
    /// - Throws: `CheckpointError` for a missing, misshapen, non-finite or unexpected tensor.
    public static func loadHead(_ file: String, in folder: URL, into template: ScalarHead,
                                fileSystem: any FileSystem = SystemFileSystem()) throws -> ScalarHead? {
        let stored: SafetensorsFile
        do {
            stored = try Safetensors.read(from: folder.appendingPathComponent(file), fileSystem: fileSystem)
        } catch CheckpointError.missingFile {
            return nil
        }
        try requireFinite(stored)
        let names = try fill(template.namedParameters(), from: stored)
        if let extra = stored.names.first(where: { !names.contains($0) }) {
            throw CheckpointError.unexpectedTensor(file: stored.file, tensor: extra)
        }
        return template
    }

    /// Loads a folder written by `save` or `saveSequenceClassifier` (or by `transformers`, for a
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
        let model = GPT2(toBeLoaded: config)
        var expected = try fill(model.namedParameters(), from: weights)
        var scoreHead: ScalarHead? = nil
        if parsed.kind == .sequenceClassifier {
            let head = ScalarHead.score(toBeLoaded: config.embeddingWidth)
            expected.formUnion(try fill(head.namedParameters(), from: weights))
            scoreHead = head
        }
        for name in weights.names where !expected.contains(name) {
            // Files written by older `transformers` may hold the tied head and attention buffers.
            if name == "lm_head.weight", weights.tensors[name] == weights.tensors["transformer.wte.weight"] { continue }
            if name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") { continue }
            throw CheckpointError.unexpectedTensor(file: weights.file, tensor: name)
        }

        return LoadedCheckpoint(kind: parsed.kind, model: model, tokenizer: tokenizer, scoreHead: scoreHead)
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

    /// Sets every parameter of `parameters` to the tensor of its name in `weights` (shapes checked);
    /// the names filled.
    private static func fill(_ parameters: [(String, Tensor)], from weights: SafetensorsFile) throws -> Set<String> {
        for (name, parameter) in parameters { parameter.data = try weights.values(name, shape: parameter.shape) }
        return Set(parameters.map { $0.0 })
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

    static let scoreWeightName = ScalarHead.scoreWeightName

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
            (tokenizerConfigFile,
             HuggingFaceFiles.tokenizerConfig(tokenizer, contextLength: model.config.contextLength)),
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
