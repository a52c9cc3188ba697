import RLHFEngine

/// One setting of a trainer's config, declared once under TRL's name: its meaning, how to read it,
/// set it from text, write it to a trace file and read it back. `set`, `show`, `help set`, tab
/// completion and the trace files derive from these declarations rather than repeat them; a config's
/// `fields` lists them in `show`'s order.
public struct ConfigField<Config>: Sendable {
    public let name: String
    public let meaning: String
    /// Whether `set` and `show` offer it; false for a setting only trace files carry (Adam's betas).
    public let listed: Bool
    /// Whether the setting changes a batch's numbers (everything before the update): a batch records these.
    public let shapesBatch: Bool
    /// The value as `show` prints it (`3`, `0.0003`, `none`).
    public let read: @Sendable (Config) -> String
    /// The value as a trace file holds it, with its JSON type.
    public let json: @Sendable (Config) -> JSONText
    /// Copies this setting from another config.
    public let copy: @Sendable (inout Config, Config) -> Void
    /// Parses text into the config; the error says what the setting takes, without its name.
    let parse: @Sendable (inout Config, String) throws -> Void
    /// Reads the setting from a trace file's `config` object, keeping the config's value when
    /// `optionalInFiles` and the key is absent.
    let decode: @Sendable (inout Config, JSONObjectReader) throws -> Void

    /// Sets the value from text.
    /// - Throws: `ConfigFieldError` naming the setting (as `shownName`, by default TRL's name) and its range.
    public func set(_ config: inout Config, to text: String, as shownName: String? = nil) throws {
        do { try parse(&config, text) } catch let error as ConfigFieldError {
            throw ConfigFieldError("\(shownName ?? name) \(error.message)")
        }
    }

    /// Reads the value from a trace file's `config` object.
    /// - Throws: `JSONReadError` for a missing key, a mistyped value or a choice that is not one.
    public func decode(_ config: inout Config, from object: JSONObjectReader) throws {
        try decode(&config, object)
    }

    /// The same setting, read as absent-means-default from trace files written before it existed.
    public func optionalInFiles() -> ConfigField {
        let decode = self.decode
        return ConfigField(name: name, meaning: meaning, listed: listed, shapesBatch: shapesBatch, read: read,
                           json: json, copy: copy, parse: parse) { config, object in
            if object.contains(name) { try decode(&config, object) }
        }
    }

    /// The most general field: a value of type `Value` at `path`, with its text and JSON forms.
    static func field<Value: JSONReadable>(
        _ name: String, _ meaning: String, _ path: WritableKeyPath<Config, Value> & Sendable, listed: Bool,
        batch: Bool, text: @escaping @Sendable (Value) -> String, json: @escaping @Sendable (Value) -> JSONText,
        parse: @escaping @Sendable (String) throws -> Value
    ) -> ConfigField {
        ConfigField(name: name, meaning: meaning, listed: listed, shapesBatch: batch,
                    read: { text($0[keyPath: path]) }, json: { json($0[keyPath: path]) },
                    copy: { $0[keyPath: path] = $1[keyPath: path] },
                    parse: { config, input in config[keyPath: path] = try parse(input) }) { config, object in
            config[keyPath: path] = try object.required(name, as: Value.self)
        }
    }

    /// A number in `range`.
    public static func number(_ name: String, _ meaning: String, _ range: ClosedRange<Double>,
                              _ path: WritableKeyPath<Config, Double> & Sendable, listed: Bool = true,
                              batch: Bool = false) -> ConfigField {
        field(name, meaning, path, listed: listed, batch: batch, text: shortText, json: JSONText.double) { text in
            guard let value = Double(text), range.contains(value) else {
                throw ConfigFieldError("takes a number from \(shortText(range.lowerBound)) to "
                    + "\(shortText(range.upperBound)), not \"\(text)\"")
            }
            return value
        }
    }

    /// A number in `range`, or `none` (nil; JSON null).
    public static func optionalNumber(_ name: String, _ meaning: String, _ range: ClosedRange<Double>,
                                      _ path: WritableKeyPath<Config, Double?> & Sendable,
                                      batch: Bool = false) -> ConfigField {
        field(name, meaning, path, listed: true, batch: batch, text: { $0.map(shortText) ?? "none" },
              json: { $0.map(JSONText.double) ?? .null }) { text in
            if text == "none" { return nil }
            guard let value = Double(text), range.contains(value) else {
                throw ConfigFieldError("takes none or a number from \(shortText(range.lowerBound)) to "
                    + "\(shortText(range.upperBound)), not \"\(text)\"")
            }
            return value
        }
    }

    /// A whole number in `range`.
    public static func integer(_ name: String, _ meaning: String, _ range: ClosedRange<Int>,
                               _ path: WritableKeyPath<Config, Int> & Sendable, batch: Bool = false) -> ConfigField {
        field(name, meaning, path, listed: true, batch: batch, text: { "\($0)" }, json: JSONText.integer) { text in
            guard let value = Int(text), range.contains(value) else {
                throw ConfigFieldError("takes a whole number from \(range.lowerBound) to \(range.upperBound), "
                    + "not \"\(text)\"")
            }
            return value
        }
    }

    /// true or false.
    public static func flag(_ name: String, _ meaning: String, _ path: WritableKeyPath<Config, Bool> & Sendable,
                            batch: Bool = false) -> ConfigField {
        field(name, meaning, path, listed: true, batch: batch, text: { "\($0)" }, json: JSONText.bool) { text in
            guard let value = Bool(text) else { throw ConfigFieldError("takes true or false, not \"\(text)\"") }
            return value
        }
    }

    /// One of an enumeration's raw values (JSON: the raw value as a string).
    public static func choice<Choice: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ meaning: String, _ path: WritableKeyPath<Config, Choice> & Sendable, batch: Bool = false
    ) -> ConfigField where Choice.RawValue == String {
        let options = Choice.allCases.map(\.rawValue)
        let list = options.count == 2 ? options.joined(separator: " or ")
                                      : "one of " + options.joined(separator: ", ")
        return ConfigField(name: name, meaning: meaning, listed: true, shapesBatch: batch,
                           read: { $0[keyPath: path].rawValue }, json: { .string($0[keyPath: path].rawValue) },
                           copy: { $0[keyPath: path] = $1[keyPath: path] },
                           parse: { config, text in
                               guard let value = Choice(rawValue: text) else {
                                   throw ConfigFieldError("takes \(list), not \"\(text)\"")
                               }
                               config[keyPath: path] = value
                           }) { config, object in
            let raw = try object.required(name, as: String.self)
            guard let value = Choice(rawValue: raw) else {
                let quoted = options.map { "\"\($0)\"" }.joined(separator: ", ")
                throw JSONReadError(message: "\(object.path(of: name)): \"\(raw)\" is not one of \(quoted)",
                                    path: object.path(of: name))
            }
            config[keyPath: path] = value
        }
    }

    /// The shortest text that reads back as the same number (`3`, `0.0003`).
    @Sendable public static func shortText(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}

extension Array {
    /// The settings `set` and `show` offer.
    public func listed<Config>() -> [ConfigField<Config>] where Element == ConfigField<Config> { filter(\.listed) }
}

/// A setting given a value it cannot take; the message names the setting and its range.
public struct ConfigFieldError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
