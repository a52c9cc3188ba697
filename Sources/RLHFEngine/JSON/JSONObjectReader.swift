/// Typed reading of a parsed JSON object, with errors that name the key path
/// (`rollouts[0].rm_score: expected a number, found a string`), for files such as traces.
public struct JSONObjectReader: Sendable {
    public let fields: [String: JSONValue]
    /// Where the object sits: `config`, `rollouts[3]`; "" for the whole.
    public let path: String

    /// The object `value`, found at `path`.
    /// - Throws: `JSONReadError` when `value` is not an object.
    public init(_ value: JSONValue, at path: String = "") throws {
        guard case let .object(fields) = value else { throw JSONReadError.expected("an object", value, at: path) }
        self.fields = fields
        self.path = path
    }

    /// The path of `key` in this object.
    public func path(of key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// Whether the object holds `key` (null included).
    public func contains(_ key: String) -> Bool { fields[key] != nil }

    /// The object `key`, which must be there.
    public func object(_ key: String) throws -> JSONObjectReader {
        try JSONObjectReader(try value(key), at: path(of: key))
    }

    /// The items of the array `key`, which must be there, each with its path (`rollouts[2]`).
    public func items(_ key: String) throws -> [(value: JSONValue, path: String)] {
        let value = try value(key)
        guard case let .array(items) = value else { throw JSONReadError.expected("an array", value, at: path(of: key)) }
        return items.enumerated().map { ($1, path(of: key) + "[\($0)]") }
    }

    /// The raw value of `key`, which must be there.
    private func value(_ key: String) throws -> JSONValue {
        guard let value = fields[key] else {
            throw JSONReadError(message: "missing key \"\(key)\"" + (path.isEmpty ? "" : " in \(path)"), path: path)
        }
        return value
    }

    /// The value of `key`, which must be there.
    /// - Throws: `JSONReadError`: `missing key "gamma" in config`, or the value's type error.
    public func required<Value: JSONReadable>(_ key: String, as type: Value.Type = Value.self) throws -> Value {
        try Value(json: try value(key), at: path(of: key))
    }

    /// The value of `key`, or nil when it is absent or null.
    public func optional<Value: JSONReadable>(_ key: String, as type: Value.Type = Value.self) throws -> Value? {
        guard let value = fields[key], value != .null else { return nil }
        return try Value(json: value, at: path(of: key))
    }
}

/// A value that a JSON value reads as; the error names `path`.
public protocol JSONReadable {
    init(json: JSONValue, at path: String) throws
}

/// A JSON value that is not what its reader expects, with where it is.
public struct JSONReadError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    /// The key path of the value at fault (of the object, for a missing key), as `JSONParser.parseLocated`
    /// names it, so that a reader of a file can give its line; nil when unknown.
    public let path: String?
    public init(message: String, path: String? = nil) {
        self.message = message
        self.path = path
    }
    public var description: String { message }

    /// `path: expected a number, found a string`.
    public static func expected(_ what: String, _ value: JSONValue, at path: String) -> JSONReadError {
        expected(what, found: value.typeName, at: path)
    }

    /// `path: expected an integer, found 1.5`.
    public static func expected(_ what: String, found: String, at path: String) -> JSONReadError {
        JSONReadError(message: (path.isEmpty ? "the top level" : path) + ": expected \(what), found \(found)",
                      path: path)
    }
}

extension Double: JSONReadable {
    /// A number or an integer; the strings "NaN", "Infinity" and "-Infinity", which `JSONText.double`
    /// writes for the values JSON cannot hold, read back as those values.
    public init(json: JSONValue, at path: String) throws {
        switch json {
        case .number(let value): self = value
        case .integer(let value): self = Double(value)
        case .string("NaN"): self = .nan
        case .string("Infinity"): self = .infinity
        case .string("-Infinity"): self = -.infinity
        default: throw JSONReadError.expected("a number", json, at: path)
        }
    }
}

extension Int: JSONReadable {
    /// An integer, or a number with no fraction below 9e15 in size (`1.0`, as Python's `json.dumps` of a float and
    /// Foundation's `JSONDecoder` allow); `1.5` is an error that shows the number.
    public init(json: JSONValue, at path: String) throws {
        if let value = json.exactInteger {
            self = value
        } else if case .number = json {
            throw JSONReadError.expected("an integer", found: json.written, at: path)
        } else {
            throw JSONReadError.expected("an integer", json, at: path)
        }
    }
}

extension Bool: JSONReadable {
    public init(json: JSONValue, at path: String) throws {
        guard case let .bool(value) = json else { throw JSONReadError.expected("a boolean", json, at: path) }
        self = value
    }
}

extension String: JSONReadable {
    public init(json: JSONValue, at path: String) throws {
        guard case let .string(text) = json else { throw JSONReadError.expected("a string", json, at: path) }
        self = text
    }
}

extension Array: JSONReadable where Element: JSONReadable {
    public init(json: JSONValue, at path: String) throws {
        guard case let .array(items) = json else { throw JSONReadError.expected("an array", json, at: path) }
        self = try items.enumerated().map { try Element(json: $1, at: path + "[\($0)]") }
    }
}

extension Dictionary: JSONReadable where Key == String, Value: JSONReadable {
    public init(json: JSONValue, at path: String) throws {
        let object = try JSONObjectReader(json, at: path)
        var result: [String: Value] = [:]
        for key in object.fields.keys.sorted() { result[key] = try object.required(key, as: Value.self) }
        self = result
    }
}

extension Optional: JSONReadable where Wrapped: JSONReadable {
    /// null reads as nil.
    public init(json: JSONValue, at path: String) throws {
        self = json == .null ? nil : try Wrapped(json: json, at: path)
    }
}
