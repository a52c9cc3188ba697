/// One setting of a trainer's config, declared once under TRL's name: its meaning, how
/// to read it and how to set it from text. `show`, `set` and trace exports derive from
/// these declarations rather than repeat them.
public struct ConfigField<Config>: Sendable {
    public let name: String
    public let meaning: String
    public let read: @Sendable (Config) -> String
    public let write: @Sendable (inout Config, String) throws -> Void

    /// A number in `range`.
    public static func number(_ name: String, _ meaning: String, _ range: ClosedRange<Double>,
                              _ path: WritableKeyPath<Config, Double> & Sendable) -> ConfigField {
        ConfigField(name: name, meaning: meaning, read: { shortText($0[keyPath: path]) }) { config, text in
            guard let value = Double(text), range.contains(value) else {
                throw ConfigFieldError("\(name) takes a number from \(shortText(range.lowerBound)) to "
                    + "\(shortText(range.upperBound)), not \"\(text)\"")
            }
            config[keyPath: path] = value
        }
    }

    /// A number in `range`, or `none` (nil).
    public static func optionalNumber(_ name: String, _ meaning: String, _ range: ClosedRange<Double>,
                                      _ path: WritableKeyPath<Config, Double?> & Sendable) -> ConfigField {
        ConfigField(name: name, meaning: meaning, read: { $0[keyPath: path].map(shortText) ?? "none" }) { config,
                                                                                                         text in
            if text == "none" { config[keyPath: path] = nil; return }
            guard let value = Double(text), range.contains(value) else {
                throw ConfigFieldError("\(name) takes none or a number from \(shortText(range.lowerBound)) to "
                    + "\(shortText(range.upperBound)), not \"\(text)\"")
            }
            config[keyPath: path] = value
        }
    }

    /// A whole number in `range`.
    public static func integer(_ name: String, _ meaning: String, _ range: ClosedRange<Int>,
                               _ path: WritableKeyPath<Config, Int> & Sendable) -> ConfigField {
        ConfigField(name: name, meaning: meaning, read: { "\($0[keyPath: path])" }) { config, text in
            guard let value = Int(text), range.contains(value) else {
                throw ConfigFieldError("\(name) takes a whole number from \(range.lowerBound) to \(range.upperBound), "
                    + "not \"\(text)\"")
            }
            config[keyPath: path] = value
        }
    }

    /// true or false.
    public static func flag(_ name: String, _ meaning: String,
                            _ path: WritableKeyPath<Config, Bool> & Sendable) -> ConfigField {
        ConfigField(name: name, meaning: meaning, read: { "\($0[keyPath: path])" }) { config, text in
            guard let value = Bool(text) else { throw ConfigFieldError("\(name) takes true or false, not \"\(text)\"") }
            config[keyPath: path] = value
        }
    }

    /// One of an enumeration's raw values.
    public static func choice<Choice: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ meaning: String, _ path: WritableKeyPath<Config, Choice> & Sendable
    ) -> ConfigField where Choice.RawValue == String {
        ConfigField(name: name, meaning: meaning, read: { $0[keyPath: path].rawValue }) { config, text in
            guard let value = Choice(rawValue: text) else {
                let options = Choice.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigFieldError("\(name) takes one of \(options), not \"\(text)\"")
            }
            config[keyPath: path] = value
        }
    }

    /// The shortest text that reads back as the same number (`3`, `0.0003`).
    public static func shortText(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}

/// A setting given a value it cannot take; the message names the setting and its range.
public struct ConfigFieldError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
