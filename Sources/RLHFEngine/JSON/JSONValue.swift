/// One JSON value, as `JSONParser` reads it: `true` is never the number 1, `1.0` is a
/// number and `1` an integer, so a mistyped field can be reported as such.
public enum JSONValue: Equatable, Sendable {
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .bool: "a boolean"
        case .integer: "an integer"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        case .null: "null"
        }
    }
}

extension JSONValue {
    /// The value as compact JSON text, keys sorted (`"48"` for a string, `true`, `[1,2]`), for messages
    /// that show what a file holds.
    public var written: String {
        switch self {
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .number(let value): value.description
        case .string(let text): JSONText.quoted(text)
        case .array(let items): "[" + items.map(\.written).joined(separator: ",") + "]"
        case .object(let fields):
            "{" + fields.keys.sorted().map { JSONText.quoted($0) + ":" + fields[$0]!.written }
                .joined(separator: ",") + "}"
        case .null: "null"
        }
    }

    /// An exact integer: an integer, or a number with no fraction below 9e15 (`3.0`); nil otherwise.
    public var exactInteger: Int? {
        switch self {
        case .integer(let value): value
        case .number(let value) where value == value.rounded() && abs(value) < 9.0e15: Int(value)
        default: nil
        }
    }

    /// A number or an integer as a Double; nil for anything else.
    public var double: Double? {
        switch self {
        case .number(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }
}

extension JSONValue {
    /// The text of a string; nil for anything else.
    public var string: String? {
        if case let .string(text) = self { return text }
        return nil
    }
}
