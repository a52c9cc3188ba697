import RLHFEngine
import RLHFStages

/// A mistake in what the user typed: the message says what was expected.
public struct CommandError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a command receives when it runs.
public struct Invocation {
    public let session: Session
    public let console: Console
    public let interpreter: Interpreter
    /// The words after the command name.
    public let arguments: [String]
    /// Everything after the command name, as typed (for free text such as a prompt).
    public let rest: String
    public var style: Style { Style(enabled: console.usesColor) }

    /// Argument `index` as a whole number in `range`, or `fallback` when absent.
    public func integer(_ index: Int, name: String, default fallback: Int? = nil,
                        range: ClosedRange<Int> = 1...100_000) throws -> Int {
        guard index < arguments.count else {
            if let fallback { return fallback }
            throw CommandError("missing \(name): expected a whole number")
        }
        guard let value = Int(arguments[index]), range.contains(value) else {
            throw CommandError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), "
                               + "not \(Format.quoted(arguments[index]))")
        }
        return value
    }

    /// Fails unless there are at most `count` arguments.
    public func expectAtMost(_ count: Int, usage: String) throws {
        if arguments.count > count { throw CommandError("too many arguments; usage: \(usage)") }
    }
}

/// One command of the interpreter: its names, its help, how to complete its arguments,
/// and what it does.
public struct Command: Sendable {
    public let name: String
    public let aliases: [String]
    public let usage: String
    public let summary: String
    public let details: String
    /// Candidates for the next argument, given the arguments typed so far.
    public let complete: @Sendable (Session, [String]) -> [String]
    public let run: @Sendable (Invocation) throws -> Void

    /// True when the command takes free text (`TEXT` in its usage): its words are not quoted
    /// or counted.
    public var takesText: Bool { usage.split(separator: " ").contains("TEXT") }

    /// The most arguments the usage allows (one per word after the name), or nil for free text.
    public var argumentLimit: Int? { takesText ? nil : usage.split(separator: " ").count - 1 }

    public init(_ name: String, aliases: [String] = [], usage: String, summary: String, details: String = "",
                complete: @escaping @Sendable (Session, [String]) -> [String] = { _, _ in [] },
                run: @escaping @Sendable (Invocation) throws -> Void) {
        self.name = name
        self.aliases = aliases
        self.usage = usage
        self.summary = summary
        self.details = details
        self.complete = complete
        self.run = run
    }
}
