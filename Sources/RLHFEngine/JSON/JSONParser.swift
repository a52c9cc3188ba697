/// The project's one JSON reader: a small, strict parser (RFC 8259) for JSONL lines, recipes, checkpoint
/// files (config.json, tokenizer.json, safetensors headers) and traces.
///
/// It keeps what Foundation's decoders blur: `1` is an integer and `1.0` a number, `true` is never 1. Errors
/// give the line and column where the text stops being JSON. Numbers read as Swift's `Int(_:)` and
/// `Double(_:)` read their text (correctly rounded), so a value `JSONText` wrote reads back to the same bits.
public struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    /// Where each value starts, by path; kept only by `parseLocated`.
    private var offsets: [String: Int]?
    /// The text of each number that is not an integer, by path; kept only by `parseLocated`.
    private var numberTexts: [String: String] = [:]
    private var rejectsRepeatedFields = false  // a field named twice in one object is an error (parseLocated)
    private var path = ""

    /// The value of `text`, which must hold exactly one JSON value. With `rejectingRepeatedFields`, a field
    /// named twice in one object is an error, as in `parseLocated`: a text parses this way exactly when it
    /// parses located, with the same failure, so a reader can locate only when an error must name a line.
    /// - Throws: `JSONParser.Failure` with a message, a line and a column.
    public static func parse(_ text: String, rejectingRepeatedFields: Bool = false) throws -> JSONValue {
        try withBytes(of: text) {
            try parse(bytes: $0, located: false, rejectingRepeatedFields: rejectingRepeatedFields).value
        }
    }

    /// The value of UTF-8 `bytes`, which must hold exactly one JSON value.
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { try parse(bytes: $0, located: false, rejectingRepeatedFields: false).value }
    }

    /// `parse`, also giving the byte offset at which each value starts, keyed by its path
    /// (`""` for the whole, `model.layer_count`, `text.cases[2].place`), so that a reader of a
    /// multi-line file can name the line of a wrong value, and the text of each number that is not an
    /// integer (`Float(text)` rounds it once). A field named twice in one object is an error.
    public static func parseLocated(_ text: String) throws -> (value: JSONValue, locations: JSONLocations) {
        try withBytes(of: text) { bytes in
            let (value, parser) = try parse(bytes: bytes, located: true, rejectingRepeatedFields: true)
            return (value, JSONLocations(offsets: parser.offsets ?? [:], lineStarts: JSONLocations.lineStarts(bytes),
                                         numberTexts: parser.numberTexts))
        }
    }

    /// Where a text stops being JSON: a message, the byte offset, and the line and column (both from 1).
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let message: String
        public let offset: Int, line: Int, column: Int

        /// "expected a digit at line 2, column 13".
        public var description: String { "\(message) at line \(line), column \(column)" }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private static func withBytes<Result>(of text: String,
                                          _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) throws -> Result {
        if let result = try text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return try Array(text.utf8).withUnsafeBufferPointer(body)
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>, located: Bool,
                              rejectingRepeatedFields: Bool) throws -> (value: JSONValue, parser: JSONParser) {
        var parser = JSONParser(bytes: bytes)
        if located { parser.offsets = [:] }
        parser.rejectsRepeatedFields = rejectingRepeatedFields
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == bytes.count else { throw parser.failure("unexpected text after the value") }
        return (value, parser)
    }

    private func failure(_ message: String) -> Failure {
        let offset = min(position, bytes.count)
        var line = 1
        var lineStart = 0
        for index in 0..<offset where JSONLocations.endsLine(bytes, at: index) {
            line += 1
            lineStart = index + 1
        }
        return Failure(message: message, offset: offset, line: line, column: offset - lineStart + 1)
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while position < bytes.count {
            let byte = bytes[position]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return }
            position += 1
        }
    }

    private mutating func expect(_ literal: StaticString) throws {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        let start = position
        for byte in text {
            guard current == byte else {
                position = start  // the error names where the word should begin
                throw failure("expected \(literal)")
            }
            position += 1
        }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth < 64 else { throw failure("nested too deeply") }
        offsets?[path] = position
        switch current {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case let byte? where byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39): return try number()
        case nil: throw failure("the text ends where a value should be")
        default: throw failure("unexpected character")
        }
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        position += 1
        var fields: [String: JSONValue] = [:]
        skipSpace()
        if current == UInt8(ascii: "}") { position += 1; return .object(fields) }
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a field name in quotes") }
            let key = try string()
            skipSpace()
            try expect(":")
            skipSpace()
            if rejectsRepeatedFields, fields[key] != nil { throw failure("the field \"\(key)\" appears twice") }
            // Paths are kept only for `parseLocated`; a plain parse builds no strings.
            let outer = path
            if offsets != nil { path = outer.isEmpty ? key : outer + "." + key }
            fields[key] = try value(depth: depth + 1)
            path = outer
            skipSpace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect("}")
            return .object(fields)
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipSpace()
        if current == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipSpace()
            let outer = path
            if offsets != nil { path = outer + "[\(items.count)]" }
            items.append(try value(depth: depth + 1))
            path = outer
            skipSpace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect("]")
            return .array(items)
        }
    }

    /// A string; the common case, with no escape, is one slice of the text.
    private mutating func string() throws -> String {
        position += 1
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("control character inside a string") }
            position += 1
        }
        position = start
        return try escapedString()
    }

    /// A string with escapes, scalar by scalar.
    private mutating func escapedString() throws -> String {
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
        }
        while let byte = current {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                guard let escape = current else { throw failure("unfinished escape") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"): scalars.append(try unicodeEscape())
                default: throw failure("unknown escape \\\(Character(UnicodeScalar(escape)))")
                }
            case 0..<0x20:
                throw failure("control character inside a string")
            default:
                raw.append(byte)
            }
        }
        throw failure("the string is not closed")
    }

    /// \uXXXX, joining a UTF-16 surrogate pair when one follows.
    private mutating func unicodeEscape() throws -> Unicode.Scalar {
        let high = try hexQuad()
        if (0xD800..<0xDC00).contains(high) {
            try expect("\\u")
            let low = try hexQuad()
            guard (0xDC00..<0xE000).contains(low),
                  let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) else {
                throw failure("invalid surrogate pair")
            }
            return scalar
        }
        guard let scalar = Unicode.Scalar(high) else { throw failure("invalid \\u escape") }
        return scalar
    }

    private mutating func hexQuad() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Character(UnicodeScalar(byte)).hexDigitValue else {
                throw failure("expected four hex digits")
            }
            value = value * 16 + UInt32(digit)
            position += 1
        }
        return value
    }

    /// An integer when there is no fraction or exponent (and it fits an Int), otherwise a number.
    private mutating func number() throws -> JSONValue {
        let start = position
        let negative = current == UInt8(ascii: "-")
        if negative { position += 1 }
        // The digits accumulate negatively, so that Int.min fits; overflow falls back to Double.
        var integer = 0
        var fits = true
        let first = position
        while position < bytes.count, bytes[position] >= 0x30 && bytes[position] <= 0x39 {
            let digit = Int(bytes[position] - 0x30)
            if fits {
                let (times, overflowTimes) = integer.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = times.subtractingReportingOverflow(digit)
                if overflowTimes || overflowSum { fits = false } else { integer = sum }
            }
            position += 1
        }
        let integerDigits = position - first
        guard integerDigits > 0 else { throw failure("expected a digit") }
        if integerDigits > 1 && bytes[first] == UInt8(ascii: "0") { throw failure("leading zero in a number") }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            position += 1
            isInteger = false
            guard skipDigits() > 0 else { throw failure("expected a digit after the point") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            isInteger = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { throw failure("expected a digit in the exponent") }
        }
        if isInteger && fits {
            if negative { return .integer(integer) }
            if integer != Int.min { return .integer(-integer) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else { throw failure("number out of range") }
        if offsets != nil { numberTexts[path] = text }
        return .number(number)
    }

    private mutating func skipDigits() -> Int {
        let first = position
        while position < bytes.count, bytes[position] >= 0x30 && bytes[position] <= 0x39 { position += 1 }
        return position - first
    }
}
