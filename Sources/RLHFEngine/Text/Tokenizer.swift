/// A word-level tokenizer, normalising text as Hugging Face `tokenizers` does with a
/// `Lowercase` normaliser and a `Whitespace` pre-tokenizer followed by a `WordLevel`
/// model:
///
///  1. lower-case the text;
///  2. split it into runs of word characters (letters, digits, `_`) and runs of other
///     non-space characters (punctuation), the regex `\w+|[^\w\s]+`;
///  3. map each piece to its id; a piece that is not in the vocabulary is an error.
///
/// Special tokens (padding, end of sequence) are never produced from text: they are
/// added by the code that builds model inputs.
public struct Tokenizer: Sendable, Equatable {
    /// Token strings, indexed by id.
    public let tokens: [String]
    /// The id of the padding token.
    public let padID: Int
    /// The id of the end-of-sequence token.
    public let eosID: Int
    private let idsByToken: [String: Int]

    public init(tokens: [String], padToken: String, eosToken: String) {
        precondition(Set(tokens).count == tokens.count, "vocabulary has repeated tokens")
        self.tokens = tokens
        var index: [String: Int] = [:]
        for (id, token) in tokens.enumerated() { index[token] = id }
        idsByToken = index
        guard let pad = index[padToken], let eos = index[eosToken] else {
            preconditionFailure("vocabulary lacks \(padToken) or \(eosToken)")
        }
        padID = pad
        eosID = eos
    }

    public var vocabularySize: Int { tokens.count }

    /// The id of a token string, if it is in the vocabulary.
    public func id(of token: String) -> Int? { idsByToken[token] }

    /// Splits text into normalised pieces (steps 1 and 2 above). ASCII text, the common case,
    /// takes a byte-wise path that gives the same pieces as the character-wise one.
    public static func pieces(_ text: String) -> [String] {
        if let pieces = text.utf8.withContiguousStorageIfAvailable(asciiPieces) { return pieces ?? unicodePieces(text) }
        return Array(text.utf8).withUnsafeBufferPointer(asciiPieces) ?? unicodePieces(text)
    }

    /// The pieces of ASCII text by bytes, or nil if a byte is not ASCII. Unicode's White_Space
    /// in ASCII is tab, line feed, vertical tab, form feed, carriage return and space (a CR LF
    /// pair is one `Character` but two spaces here: either way it only ends a piece); its
    /// letters and numbers are A-Z, a-z and 0-9, and lower-casing maps only A-Z.
    private static func asciiPieces(_ bytes: UnsafeBufferPointer<UInt8>) -> [String]? {
        enum Kind { case space, word, punctuation }
        func kind(_ byte: UInt8) -> Kind {
            switch byte {
            case 0x09...0x0D, 0x20: return .space
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): return .word
            default: return .punctuation
            }
        }
        // A piece is a run of one kind, taken as a slice of the text (lower-cased only when it has a capital).
        var result: [String] = []
        var (start, currentKind, hasCapital) = (0, Kind.space, false)
        func endPiece(at end: Int) {
            guard currentKind != .space, end > start else { return }
            let piece = UnsafeBufferPointer(rebasing: bytes[start..<end])
            result.append(hasCapital ? String(decoding: piece.map { isCapital($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
                                     : String(decoding: piece, as: UTF8.self))
        }
        func isCapital(_ byte: UInt8) -> Bool { UInt8(ascii: "A")...UInt8(ascii: "Z") ~= byte }
        for index in bytes.indices {
            let byte = bytes[index]
            guard byte < 0x80 else { return nil }
            let byteKind = kind(byte)
            if byteKind != currentKind {
                endPiece(at: index)
                (start, currentKind, hasCapital) = (index, byteKind, false)
            }
            if isCapital(byte) { hasCapital = true }
        }
        endPiece(at: bytes.count)
        return result
    }

    /// The pieces of any text, character by character (the reference the ASCII path is tested against).
    public static func unicodePieces(_ text: String) -> [String] {
        enum Kind { case word, punctuation }
        var result: [String] = []
        var current = ""
        var currentKind: Kind? = nil
        for character in text.lowercased() {
            if character.isWhitespace {
                if !current.isEmpty { result.append(current) }
                current = ""
                currentKind = nil
                continue
            }
            let kind: Kind = (character.isLetter || character.isNumber || character == "_") ? .word : .punctuation
            if kind != currentKind && !current.isEmpty {
                result.append(current)
                current = ""
            }
            current.append(character)
            currentKind = kind
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// The ids of `text`.
    /// - Parameter source: where the text came from, for the error message
    ///   (for example `prefs.jsonl:3 field "chosen"`).
    /// - Throws: `TokenizerError.unknownWord` naming the first piece not in the vocabulary.
    public func encode(_ text: String, source: String) throws -> [Int] {
        try Tokenizer.pieces(text).map { piece in
            guard let id = idsByToken[piece], id != padID, id != eosID else {
                throw TokenizerError.unknownWord(piece, source: source)
            }
            return id
        }
    }

    /// Readable text for ids: words separated by spaces, a punctuation token attached to
    /// the word before it, special tokens dropped unless `keepSpecial`. Two punctuation
    /// tokens in a row stay apart (". ." not ".."), so encoding the text gives the ids back.
    public func decode(_ ids: [Int], keepSpecial: Bool = false) -> String {
        var text = ""
        var previousWasWord = false
        for id in ids {
            if !keepSpecial && (id == padID || id == eosID) { continue }
            let token = tokens[id]
            let startsLikeWord = token.first.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? true
            let isWord = Tokenizer.isSpecial(token) || startsLikeWord
            if !text.isEmpty && !(previousWasWord && !isWord) { text += " " }
            text += token
            previousWasWord = isWord
        }
        return text
    }

    /// The token strings for ids, one per id (for tables).
    public func strings(_ ids: [Int]) -> [String] { ids.map { tokens[$0] } }

    private static func isSpecial(_ token: String) -> Bool {
        token.hasPrefix("<") && token.hasSuffix(">") && token.count > 2
    }
}

/// A problem with text that a user supplied.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case unknownWord(String, source: String)

    /// What is wrong, without where.
    public var reason: String {
        switch self {
        case let .unknownWord(word, _):
            // A word run of any length is named by its first 80 characters or so.
            let shown = word.count > 80 ? String(word.prefix(77)) + "..." : word
            return "unknown word \"\(shown)\" (not in the vocabulary; `vocab` lists the words)"
        }
    }

    public var description: String {
        switch self {
        case let .unknownWord(_, source): return "\(source): \(reason)"
        }
    }
}
