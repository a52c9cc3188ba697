import Foundation
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
    /// The command's usage, as declared with it: what its errors quote.
    public let usage: String
    public var style: Style { Style(enabled: console.usesColor) }

    /// Argument `index` as a whole number in `range`, or `fallback` when absent.
    public func integer(_ index: Int, name: String, default fallback: Int? = nil,
                        range: ClosedRange<Int> = 1...100_000) throws -> Int {
        guard index < arguments.count else {
            if let fallback { return fallback }
            throw CommandError("missing \(name): expected a whole number")
        }
        return try Self.integer(arguments[index], name: name, range: range)
    }

    /// `word` as a whole number in `range`; `unit` ("iterations") names what it counts in the error.
    public static func integer(_ word: String, name: String, unit: String? = nil,
                               range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(word), range.contains(value) else {
            throw CommandError("\(name) must be a whole number\(unit.map { " of " + $0 } ?? "") from "
                               + "\(range.lowerBound) to \(range.upperBound), not \(Format.quoted(word))")
        }
        return value
    }

    /// Fails unless there are at most `count` arguments.
    public func expectAtMost(_ count: Int) throws {
        if arguments.count > count { throw CommandError("too many arguments; usage: \(usage)") }
    }

    /// The error for arguments that do not fit the command: its declared usage, then `note`.
    public func usageError(_ note: String = "") -> CommandError { CommandError("usage: \(usage)\(note)") }
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

    /// - Parameter complete: the candidates for the next argument; by default the literal words the usage
    ///   allows there (`update [step]` completes `step`; `echo on|off` completes `on` and `off`).
    public init(_ name: String, aliases: [String] = [], usage: String, summary: String, details: String = "",
                complete: (@Sendable (Session, [String]) -> [String])? = nil,
                run: @escaping @Sendable (Invocation) throws -> Void) {
        self.name = name
        self.aliases = aliases
        self.usage = usage
        self.summary = summary
        self.details = details
        self.complete = complete ?? { _, arguments in Command.literals(in: usage, at: arguments.count) }
        self.run = run
    }

    /// The literal words `usage` allows as argument `index` (lower-case words and numbers, not placeholders such
    /// as N or FILE), over each of its forms `A | B`: `train sft|rm N` gives sft and rm at 0.
    public static func literals(in usage: String, at index: Int) -> [String] {
        usage.components(separatedBy: " | ").flatMap { form -> [String] in
            let words = form.split(separator: " ").dropFirst()
            guard index < words.count else { return [] }
            let word = words[words.startIndex + index].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            return word.split(separator: "|").map(String.init).filter { $0 == $0.lowercased() }
        }
    }
}
