import Foundation

/// The JSON files of a Hugging Face model folder: `config.json` (the model's size and
/// special token ids) and `tokenizer.json` / `tokenizer_config.json` (the vocabulary as a
/// `tokenizers` WordLevel model), written from and read back into our own types.
enum HuggingFaceFiles {
    // MARK: config.json

    /// `config.json` for `transformers`' GPT-2 classes. Keys are sorted, as
    /// `save_pretrained` sorts them.
    static func config(_ config: GPT2Config, tokenizer: Tokenizer, kind: CheckpointKind) -> JSONText {
        var fields: [String: JSONText] = [
            "activation_function": .string("gelu_new"),
            "add_cross_attention": .bool(false),
            "architectures": .array([.string(kind.architecture)]),
            "attn_pdrop": .float(0),
            "bos_token_id": .integer(tokenizer.eosID),
            "dtype": .string("float32"),
            "embd_pdrop": .float(0),
            "eos_token_id": .integer(tokenizer.eosID),
            "initializer_range": .float(config.initializerRange),
            "layer_norm_epsilon": .float(config.layerNormEpsilon),
            "model_type": .string("gpt2"),
            "n_ctx": .integer(config.contextLength),
            "n_embd": .integer(config.embeddingWidth),
            "n_head": .integer(config.headCount),
            "n_inner": .null,
            "n_layer": .integer(config.layerCount),
            "n_positions": .integer(config.contextLength),
            "pad_token_id": .integer(tokenizer.padID),
            "reorder_and_upcast_attn": .bool(false),
            "resid_pdrop": .float(0),
            "scale_attn_by_inverse_layer_idx": .bool(false),
            "scale_attn_weights": .bool(true),
            "tie_word_embeddings": .bool(true),
            "torch_dtype": .string("float32"),
            "use_cache": .bool(true),
            "vocab_size": .integer(config.vocabularySize),
        ]
        if kind == .sequenceClassifier {
            fields["id2label"] = .object([("0", .string("LABEL_0"))])
            fields["label2id"] = .object([("LABEL_0", .integer(0))])
        }
        return .object(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// What `config.json` tells us: the model's size, which head it carries, and the
    /// padding and end-of-sequence ids.
    struct ParsedConfig {
        var config: GPT2Config
        var kind: CheckpointKind
        var padID: Int
        var eosID: Int
    }

    /// Reads `config.json`, rejecting settings our GPT-2 does not implement.
    static func parseConfig(_ json: JSONFields) throws -> ParsedConfig {
        let invalid = json.invalid
        let modelType = try json.string("model_type")
        guard modelType == "gpt2" else { throw invalid("model_type", "expected \"gpt2\", found \"\(modelType)\"") }

        let architectures = try json.array("architectures")
        guard architectures.count == 1, case let .string(architecture) = architectures[0],
              let kind = CheckpointKind.allCases.first(where: { $0.architecture == architecture }) else {
            let known = CheckpointKind.allCases.map { "\"\($0.architecture)\"" }.joined(separator: " or ")
            throw invalid("architectures", "expected [\(known)], found \(JSONFields.written(architectures))")
        }

        // Bounds checked before anything is allocated; the weights file must then hold
        // every tensor these sizes imply (CheckpointFolder.load), which bounds them by its size.
        func positive(_ field: String, atMost limit: Int) throws -> Int {
            let value = try json.int(field)
            guard value > 0 else { throw invalid(field, "must be positive, found \(value)") }
            guard value <= limit else {
                throw invalid(field, "\(value) is larger than the \(limit) this loader accepts")
            }
            return value
        }
        let vocabularySize = try positive("vocab_size", atMost: 1 << 20)
        let contextLength = try positive("n_positions", atMost: 1 << 16)
        let width = try positive("n_embd", atMost: 1 << 16)
        let layers = try positive("n_layer", atMost: 1 << 10)
        let heads = try positive("n_head", atMost: width)
        guard width % heads == 0 else { throw invalid("n_head", "\(heads) heads do not divide n_embd \(width)") }
        let epsilon = try json.float("layer_norm_epsilon")
        guard epsilon > 0 else { throw invalid("layer_norm_epsilon", "must be positive, found \(epsilon)") }
        let initializerRange = try json.float("initializer_range")
        guard initializerRange >= 0 else {
            throw invalid("initializer_range", "must not be negative, found \(initializerRange)")
        }

        func tokenID(_ field: String) throws -> Int {
            let id = try json.int(field)
            guard (0..<vocabularySize).contains(id) else {
                throw invalid(field, "\(id) is outside the vocabulary of \(vocabularySize)")
            }
            return id
        }
        let padID = try tokenID("pad_token_id")
        let eosID = try tokenID("eos_token_id")

        // Settings that would change the computation: accept only GPT-2's own.
        if json.has("activation_function") {
            let activation = try json.string("activation_function")
            guard activation == "gelu_new" else {
                throw invalid("activation_function",
                              "only \"gelu_new\" is supported, found \(JSONFields.written(.string(activation)))")
            }
        }
        if json.has("n_inner") {
            let inner = try json.int("n_inner")
            guard inner == 4 * width else {
                throw invalid("n_inner", "only null or 4 * n_embd = \(4 * width) is supported, found \(inner)")
            }
        }
        for (field, required) in [("tie_word_embeddings", true), ("scale_attn_weights", true),
                                  ("scale_attn_by_inverse_layer_idx", false), ("add_cross_attention", false)] {
            guard let value = json.values[field] else { continue }
            guard value == .bool(required) else {
                throw invalid(field, "only \(required) is supported, found \(JSONFields.written(value))")
            }
        }
        if kind == .sequenceClassifier, json.has("id2label") {
            let labels = try json.object("id2label")
            guard labels.values.count == 1 else {
                throw invalid("id2label", "a sequence classifier has one label, found \(labels.values.count)")
            }
        }

        let config = GPT2Config(vocabularySize: vocabularySize, contextLength: contextLength, embeddingWidth: width,
                                layerCount: layers, headCount: heads, layerNormEpsilon: epsilon,
                                initializerRange: initializerRange)
        return ParsedConfig(config: config, kind: kind, padID: padID, eosID: eosID)
    }

    // MARK: tokenizer.json

    /// `tokenizer.json` for the `tokenizers` library: a WordLevel model over our vocabulary
    /// behind a Lowercase normaliser and a Whitespace pre-tokenizer, the same pipeline
    /// `Tokenizer` implements. Its `unk_token` is `<unk>`, which is not in the vocabulary
    /// (unless the vocabulary has it), so an unknown word is an error there as here.
    static func tokenizer(_ tokenizer: Tokenizer) -> JSONText {
        let special = [tokenizer.padID, tokenizer.eosID].reduce(into: [Int]()) { ids, id in
            if !ids.contains(id) { ids.append(id) }
        }.sorted()
        let addedTokens: [JSONText] = special.map { id in
            .object([
                ("id", .integer(id)),
                ("content", .string(tokenizer.tokens[id])),
                ("single_word", .bool(false)),
                ("lstrip", .bool(false)),
                ("rstrip", .bool(false)),
                ("normalized", .bool(false)),
                ("special", .bool(true)),
            ])
        }
        let vocabulary: [(String, JSONText)] = tokenizer.tokens.enumerated().map { ($0.element, .integer($0.offset)) }
        return .object([
            ("version", .string("1.0")),
            ("truncation", .null),
            ("padding", .null),
            ("added_tokens", .array(addedTokens)),
            ("normalizer", .object([("type", .string("Lowercase"))])),
            ("pre_tokenizer", .object([("type", .string("Whitespace"))])),
            ("post_processor", .null),
            ("decoder", .null),
            ("model", .object([
                ("type", .string("WordLevel")),
                ("vocab", .object(vocabulary)),
                ("unk_token", .string(unknownToken)),
            ])),
        ])
    }

    static let unknownToken = "<unk>"

    /// `tokenizer_config.json`, so that `AutoTokenizer.from_pretrained` finds the fast
    /// tokenizer and its padding and end-of-sequence tokens.
    static func tokenizerConfig(_ tokenizer: Tokenizer, contextLength: Int) -> JSONText {
        let eos = tokenizer.tokens[tokenizer.eosID]
        return .object([
            ("bos_token", .string(eos)),
            ("eos_token", .string(eos)),
            ("model_max_length", .integer(contextLength)),
            ("pad_token", .string(tokenizer.tokens[tokenizer.padID])),
            ("tokenizer_class", .string("PreTrainedTokenizerFast")),
        ])
    }

    /// The vocabulary of `tokenizer.json`, indexed by id. The file must describe the
    /// pipeline `Tokenizer` implements (WordLevel, Lowercase, Whitespace).
    static func parseTokens(_ json: JSONFields) throws -> [String] {
        for (field, type) in [("normalizer", "Lowercase"), ("pre_tokenizer", "Whitespace")] {
            let object = try json.object(field)
            let found = try object.string("type")
            guard found == type else {
                throw CheckpointError.invalidField(file: object.place(of: "type"), field: "\(field).type",
                                                   detail: "only \"\(type)\" is supported, found \"\(found)\"")
            }
        }
        let model = try json.object("model")
        let modelType = try model.string("type")
        guard modelType == "WordLevel" else {
            throw CheckpointError.invalidField(file: model.place(of: "type"), field: "model.type",
                                               detail: "only \"WordLevel\" is supported, found \"\(modelType)\"")
        }
        let vocabulary = try model.object("vocab")
        var tokens = [String?](repeating: nil, count: vocabulary.values.count)
        for (token, value) in vocabulary.values {
            guard let id = value.exactInteger, tokens.indices.contains(id) else {
                throw CheckpointError.invalidField(
                    file: vocabulary.place(of: token), field: "model.vocab",
                    detail: "token \"\(token)\" has id \(JSONFields.written(value)); "
                        + "ids must run from 0 to \(tokens.count - 1)")
            }
            if let other = tokens[id] {
                throw CheckpointError.invalidField(
                    file: vocabulary.place(of: token), field: "model.vocab",
                    detail: "tokens \"\(other)\" and \"\(token)\" share id \(id)")
            }
            tokens[id] = token
        }
        return tokens.map { $0! }
    }
}
