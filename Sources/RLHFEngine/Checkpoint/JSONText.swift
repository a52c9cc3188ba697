import Foundation

/// A JSON value written with a fixed layout: keys in the order given, numbers in their
/// shortest exact form, two-space indentation. The same value always gives the same
/// bytes, so saving a checkpoint or a trace twice gives identical files.
public indirect enum JSONText {
    case object([(String, JSONText)])
    case array([JSONText])
    case string(String)
    case integer(Int)
    /// Written as the shortest decimal that reads back as the same Float (`1e-05`, `0.02`).
    case float(Float)
    /// Written as the shortest decimal that reads back as the same Double (`0.1`, `-0.0`);
    /// JSON has no NaN or infinity, so those become the strings "NaN", "Infinity", "-Infinity".
    case double(Double)
    case bool(Bool)
    case null

    public static func doubles(_ values: [Double]) -> JSONText { .array(values.map(JSONText.double)) }
    public static func integers(_ values: [Int]) -> JSONText { .array(values.map(JSONText.integer)) }

    /// The text, on one line (`compact`) or indented by two spaces per level, as Python's
    /// `json.dumps(indent=2)` writes it; pretty text ends with a newline. With
    /// `inlineScalarArrays`, an array that holds no object or array stays on one line.
    public func rendered(compact: Bool = false, inlineScalarArrays: Bool = false) -> String {
        var output = ""
        write(into: &output, indent: compact ? nil : 0, inlineScalarArrays: inlineScalarArrays)
        if !compact { output += "\n" }
        return output
    }

    private func write(into output: inout String, indent: Int?, inlineScalarArrays: Bool) {
        switch self {
        case let .object(members):
            writeContainer(members.map { ($0.0, $0.1) }, open: "{", close: "}", into: &output, indent: indent,
                           inlineScalarArrays: inlineScalarArrays)
        case let .array(elements):
            if inlineScalarArrays, indent != nil, !elements.contains(where: \.isContainer) {
                output += "["
                for (index, element) in elements.enumerated() {
                    if index > 0 { output += ", " }
                    element.write(into: &output, indent: nil, inlineScalarArrays: true)
                }
                output += "]"
                return
            }
            writeContainer(elements.map { (nil, $0) }, open: "[", close: "]", into: &output, indent: indent,
                           inlineScalarArrays: inlineScalarArrays)
        case let .string(text):
            output += JSONText.quoted(text)
        case let .integer(value):
            output += String(value)
        case let .float(value):
            precondition(value.isFinite, "JSON cannot hold \(value)")
            output += "\(value)"
        case let .double(value):
            if value.isNaN { output += "\"NaN\"" } else if value.isInfinite {
                output += value > 0 ? "\"Infinity\"" : "\"-Infinity\""
            } else {
                output += value.description
            }
        case let .bool(value):
            output += value ? "true" : "false"
        case .null:
            output += "null"
        }
    }

    private var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }

    private func writeContainer(_ items: [(String?, JSONText)], open: String, close: String,
                                into output: inout String, indent: Int?, inlineScalarArrays: Bool) {
        output += open
        guard !items.isEmpty else { output += close; return }
        let inner = indent.map { $0 + 2 }
        for (index, (key, value)) in items.enumerated() {
            if index > 0 { output += "," }
            if let inner { output += "\n" + String(repeating: " ", count: inner) }
            if let key { output += JSONText.quoted(key) + (indent == nil ? ":" : ": ") }
            value.write(into: &output, indent: inner, inlineScalarArrays: inlineScalarArrays)
        }
        if let indent { output += "\n" + String(repeating: " ", count: indent) }
        output += close
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// The top-level object of a JSON file, read with `JSONSerialization`, with typed
/// accessors whose errors name the file and the field.
struct JSONFields {
    let file: String
    let values: [String: Any]

    /// Parses `data` (the contents of `file`) as a JSON object.
    init(parsing data: Data, file: String) throws {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw CheckpointError.malformed(file: file, detail: "not valid JSON (\(JSONFields.syntaxError(in: data)))")
        }
        guard let object = parsed as? [String: Any] else {
            throw CheckpointError.malformed(file: file, detail: "expected a JSON object at the top level")
        }
        self.init(file: file, values: object)
    }

    init(file: String, values: [String: Any]) {
        self.file = file
        self.values = values
    }

    func has(_ field: String) -> Bool { values[field] != nil && !(values[field] is NSNull) }

    private func required(_ field: String) throws -> Any {
        guard let value = values[field], !(value is NSNull) else {
            throw CheckpointError.missingField(file: file, field: field)
        }
        return value
    }

    func int(_ field: String) throws -> Int {
        let value = try required(field)
        guard let number = JSONFields.integer(value) else {
            throw CheckpointError.invalidField(
                file: file, field: field, detail: "expected an integer, found \(JSONFields.written(value))")
        }
        return number
    }

    func float(_ field: String) throws -> Float {
        let value = try required(field)
        guard !JSONFields.isBoolean(value), let number = value as? NSNumber else {
            throw CheckpointError.invalidField(
                file: file, field: field, detail: "expected a number, found \(JSONFields.written(value))")
        }
        guard Float(number.doubleValue).isFinite else {
            throw CheckpointError.invalidField(
                file: file, field: field, detail: "\(JSONFields.written(value)) is not a finite 32-bit float")
        }
        return Float(number.doubleValue)
    }

    func string(_ field: String) throws -> String {
        let value = try required(field)
        guard let text = value as? String else {
            throw CheckpointError.invalidField(
                file: file, field: field, detail: "expected a string, found \(JSONFields.written(value))")
        }
        return text
    }

    func object(_ field: String) throws -> JSONFields {
        let value = try required(field)
        guard let object = value as? [String: Any] else {
            throw CheckpointError.invalidField(
                file: file, field: field, detail: "expected an object, found \(JSONFields.written(value))")
        }
        return JSONFields(file: file, values: object)
    }

    func array(_ field: String) throws -> [Any] {
        let value = try required(field)
        guard let array = value as? [Any] else {
            throw CheckpointError.invalidField(
                file: file, field: field, detail: "expected an array, found \(JSONFields.written(value))")
        }
        return array
    }

    /// A parsed value as JSON text (`"48"` for a string, `true`, `[1, 2]`), cut to 80 characters,
    /// for messages that show what the file holds.
    static func written(_ value: Any) -> String {
        let text: String
        if value is NSNull {
            text = "null"
        } else if isBoolean(value), let number = value as? NSNumber {
            text = number.boolValue ? "true" : "false"
        } else if let string = value as? String {
            text = JSONText.quoted(string)
        } else if let number = value as? NSNumber {
            text = integer(number).map(String.init) ?? "\(number.doubleValue)"
        } else if let data = try? JSONSerialization.data(withJSONObject: value,
                                                         options: [.sortedKeys, .fragmentsAllowed]) {
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = "\(value)"
        }
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    /// Where and why `data` is not JSON, as line and column (the first of each is 1).
    static func syntaxError(in data: Data) -> String {
        let bytes = [UInt8](data)
        guard let text = String(bytes: bytes, encoding: .utf8) else { return "not UTF-8 text" }
        if text.allSatisfy(\.isWhitespace) { return "the file is empty" }
        // Foundation says "Invalid value around character N." or "Unexpected end
        // of file"; we say line and column, not its error code.
        var debug = ""
        do {
            _ = try JSONSerialization.jsonObject(with: data)
        } catch let error as NSError {
            debug = error.userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
        }
        if debug.contains("end of file") {
            return "the text ends before the JSON value does, at \(position(ofByte: bytes.count, in: bytes))"
        }
        if let range = debug.range(of: "around character ") {
            let digits = debug[range.upperBound...].prefix { $0.isNumber }
            // N counts from 1 (it is the offset of the byte after the last good one).
            if let offset = Int(digits), offset >= 1, offset <= bytes.count {
                return "unexpected text at \(position(ofByte: offset - 1, in: bytes))"
            }
        }
        return "cannot be parsed"
    }

    /// "line L, column C" (both from 1) of the byte at `offset`.
    private static func position(ofByte offset: Int, in bytes: [UInt8]) -> String {
        let before = bytes.prefix(offset)
        let line = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        return "line \(line), column \(offset - lineStart + 1)"
    }

    /// An exact integer (not true/false, not a fraction), or nil.
    static func integer(_ value: Any) -> Int? {
        guard !isBoolean(value), let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double == double.rounded(), abs(double) < 9.0e15 else { return nil }
        return number.intValue
    }

    /// Whether a parsed value is JSON `true` or `false`. (`value is Bool` will not do:
    /// Foundation bridges the numbers 0 and 1 to Bool too.)
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return value is Bool }
        return type(of: number) == type(of: NSNumber(value: true))
    }
}
