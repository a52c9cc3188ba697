/// A small, strict JSON parser (RFC 8259) for one line of a JSONL file.
///
/// It keeps what Foundation's decoders blur: `1` is an integer and `1.0` a number,
/// `true` is never 1. Errors give the column where the text stops being JSON.
public struct JSONParser {
    private let bytes: [UInt8]
    private var position = 0
    /// Where each value starts, by path; kept only by `parseLocated`.
    private var offsets: [String: Int]?
    private var path = ""

    /// The value of `text`, which must hold exactly one JSON value.
    /// - Throws: `JSONParser.Failure` with a message and a 1-based column.
    public static func parse(_ text: String) throws -> JSONValue {
        var parser = JSONParser(bytes: Array(text.utf8))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == parser.bytes.count else { throw parser.failure("unexpected text after the value") }
        return value
    }

    /// `parse`, also giving the byte offset at which each value starts, keyed by its path
    /// (`""` for the whole, `model.layer_count`, `text.cases[2].place`), so that a reader of a
    /// multi-line file can name the line of a wrong value. A field named twice in one object is an error.
    public static func parseLocated(_ text: String) throws -> (value: JSONValue, offsets: [String: Int]) {
        var parser = JSONParser(bytes: Array(text.utf8))
        parser.offsets = [:]
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == parser.bytes.count else { throw parser.failure("unexpected text after the value") }
        return (value, parser.offsets ?? [:])
    }

    public struct Failure: Error, Equatable {
        public let message: String
        public let column: Int
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func failure(_ message: String) -> Failure { Failure(message: message, column: position + 1) }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    private mutating func expect(_ literal: String) throws {
        for byte in literal.utf8 {
            guard current == byte else { throw failure("expected \(literal)") }
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
        case nil: throw failure("the line ends where a value should be")
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
            if offsets != nil, fields[key] != nil { throw failure("the field \"\(key)\" appears twice") }
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

    private mutating func string() throws -> String {
        position += 1
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

    /// An integer when there is no fraction or exponent, otherwise a number.
    private mutating func number() throws -> JSONValue {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        func digits() -> Int {
            let first = position
            while let byte = current, byte >= 0x30 && byte <= 0x39 { position += 1 }
            return position - first
        }
        let integerDigits = digits()
        guard integerDigits > 0 else { throw failure("expected a digit") }
        if integerDigits > 1 && bytes[position - integerDigits] == UInt8(ascii: "0") {
            throw failure("leading zero in a number")
        }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            position += 1
            isInteger = false
            guard digits() > 0 else { throw failure("expected a digit after the point") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            isInteger = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw failure("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let integer = Int(text) { return .integer(integer) }
        guard let number = Double(text) else { throw failure("number out of range") }
        return .number(number)
    }
}
