import Foundation

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

/// A problem in a data file: which file, which line, what is wrong.
public struct DataError: Error, Equatable, CustomStringConvertible, Sendable {
    public let file: String
    /// 1-based line number; nil for a problem with the whole file.
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
