import Foundation
import RLHFEngine
import RLHFStages

/// The one command interpreter: the terminal, scripts, lessons and tests all feed it
/// lines and read what it writes to their `Console`.
public final class Interpreter {
    public let session: Session
    public let commands: [Command] = CommandCatalog.all
    private var sourceDepth = 0
    /// The folders of the scripts being run, innermost last: a relative FILE that does not
    /// exist from the working directory is looked up next to the script (so a lesson can
    /// name its data files wherever it is replayed from).
    private var scriptFolders: [URL] = []
    /// In scripts and lessons, print each command as `rlhf> command` before its output
    /// (the `echo on` command), so a replay reads like a session at the terminal.
    public var echoesCommands = false

    /// What became of a line.
    public enum Outcome: Equatable {
        case done
        case failed(String)
        case quit
    }

    public init(session: Session) {
        self.session = session
    }

    /// The command called `name` (or with that alias).
    public func command(named name: String) -> Command? {
        commands.first { $0.name == name || $0.aliases.contains(name) }
    }

    /// Runs one line. Errors are returned, not printed, so the caller can say where they
    /// happened (a script adds FILE:LINE).
    public func execute(_ line: String, console: Console) -> Outcome {
        // A stray CR (a CRLF line that reached us whole) is only spacing.
        var trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("#") { return .done }
        if trimmed.hasPrefix(">") {
            // Narration: a lesson's text, printed as it is written.
            console.line(String(trimmed.dropFirst(trimmed.hasPrefix("> ") ? 2 : 1)))
            return .done
        }
        if trimmed.isEmpty {
            // As in a debugger, an empty line repeats the step command while an episode runs.
            guard session.episode != nil, session.pendingLabel == nil else { return .done }
            trimmed = "step"
        }
        if session.pendingLabel != nil, let answer = LabelCommands.answerWord(trimmed) {
            trimmed = "label \(answer)"
        }
        let name = String(trimmed.prefix { !$0.isWhitespace })
        let rest = trimmed.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        if ["quit", "exit", "q"].contains(name) { return .quit }
        guard let command = command(named: name) else {
            return .failed(unknownCommandMessage(name))
        }
        // Free TEXT (a prompt, a response) is taken as typed; other arguments may be quoted.
        let arguments: [String]
        if command.takesText {
            arguments = rest.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        } else {
            do {
                arguments = try ArgumentWords.split(rest)
            } catch let unfinished as ArgumentWords.Unfinished {
                return .failed("\(unfinished.message); usage: \(command.usage)")
            } catch {
                return .failed("\(error)")
            }
            if let limit = command.argumentLimit, arguments.count > limit {
                return .failed("too many arguments (\(Format.quoted(arguments[limit])) and after); usage: "
                    + "\(command.usage)")
            }
        }
        do {
            try command.run(Invocation(session: session, console: console, interpreter: self,
                                       arguments: arguments, rest: rest, usage: command.usage))
            return .done
        } catch {
            return .failed(Self.shortened(String(describing: error), arguments: arguments))
        }
    }

    /// `message` with every over-long argument in it (a file name, a word) cut to 80 characters, then every
    /// run of more than 160 characters without a space (a value quoted from a file, a long path) cut to 160,
    /// so that an error stays one readable line whatever a file holds. Each is cut in its middle, so that a
    /// path keeps its end (the file name, as far as it fits in the kept half) and FILE:LINE: keeps its line.
    static func shortened(_ message: String, arguments: [String]) -> String {
        let typed = arguments.filter { $0.count > 80 }.reduce(message) { text, argument in
            text.replacingOccurrences(of: argument, with: cutInMiddle(argument, to: 80))
        }
        var result = "", run = ""
        for character in typed + " " {
            if character == " " {
                result += run.count > 160 ? cutInMiddle(run, to: 160) : run
                result.append(character)
                run = ""
            } else {
                run.append(character)
            }
        }
        return String(result.dropLast())
    }

    /// `text`'s first and last characters around "...", `length` characters in all (`text` itself when
    /// it is no longer than that).
    private static func cutInMiddle(_ text: String, to length: Int) -> String {
        guard text.count > length else { return text }
        let kept = length - 3
        return String(text.prefix(kept / 2)) + "..." + String(text.suffix(kept - kept / 2))
    }

    /// "unknown command" with the nearest command name as a suggestion.
    func unknownCommandMessage(_ name: String) -> String {
        let names = commands.flatMap { [$0.name] + $0.aliases } + ["quit"]
        if let best = EditDistance.nearest(to: name, among: names, maximum: max(2, name.count / 2)) {
            let canonical = command(named: best)?.name ?? best
            return "unknown command \(Format.quoted(name)); did you mean \"\(canonical)\"? (`help` lists the commands)"
        }
        return "unknown command \(Format.quoted(name)) (`help` lists the commands)"
    }

    /// Runs the lines of a file, as `source` does: stops at the first error, which is
    /// reported as FILE:LINE: message.
    /// - Parameter folder: the script's folder, for relative file names (see `resolve`).
    public func runScript(lines: [String], name: String, console: Console, keepGoing: Bool = false,
                          folder: URL? = nil) -> ScriptResult {
        if let folder { scriptFolders.append(folder) }
        defer { if folder != nil { scriptFolders.removeLast() } }
        var errors: [String] = []
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            // In a file a blank line is only spacing (at the terminal it repeats `step`).
            if trimmed.isEmpty { continue }
            let word = trimmed.prefix { !$0.isWhitespace }
            let isDirective = trimmed.hasPrefix("#") || trimmed.hasPrefix(">") || word == "pause" || word == "echo"
            if echoesCommands && !isDirective {
                console.line("rlhf> \(trimmed)")
            }
            let outcome = execute(line, console: console)
            if console.interruptRequested() {
                // Ctrl-C: the command stopped after its last whole step; the script stops too.
                return ScriptResult(errors: errors + ["\(name):\(index + 1): interrupted"], quit: false)
            }
            switch outcome {
            case .done: continue
            case .quit: return ScriptResult(errors: errors, quit: true)
            case .failed(let message):
                let located = message.hasPrefix("\(name):") ? message : "\(name):\(index + 1): \(message)"
                errors.append(located)
                if !keepGoing { return ScriptResult(errors: errors, quit: false) }
                console.line("error: \(located)")
            }
        }
        return ScriptResult(errors: errors, quit: false)
    }

    /// Reads and runs a script file (the `source` command).
    func source(path given: String, console: Console) throws {
        let path = resolve(given)
        guard sourceDepth < 8 else { throw CommandError("source: files include each other too deeply (\(path))") }
        let data: Data
        do { data = try SafeFile.read(path) } catch let error as FileError { throw CommandError(error.description) }
        guard let text = String(data: data, encoding: .utf8) else { throw CommandError("\(path): not UTF-8 text") }
        sourceDepth += 1
        defer { sourceDepth -= 1 }
        let result = runScript(lines: TextLines.split(text), name: path, console: console,
                               folder: URL(fileURLWithPath: path).deletingLastPathComponent())
        if let first = result.errors.first { throw CommandError(first) }
    }

    /// A file to read: `path` itself when it is absolute or exists from the working
    /// directory, else the same relative path next to the script being run, if there.
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || FileManager.default.fileExists(atPath: path) { return path }
        for folder in scriptFolders.reversed() {
            let candidate = folder.appendingPathComponent(path).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return path
    }

    /// Tab completion: candidates for `word`, the word being typed, given the line before it.
    public func completions(lineBeforeCursor: String, word: String) -> [String] {
        let before = lineBeforeCursor.dropLast(word.count).split(whereSeparator: { $0.isWhitespace }).map(String.init)
        let pool: [String]
        if before.isEmpty {
            pool = commands.map(\.name) + ["quit"]
        } else if let command = command(named: before[0]) {
            pool = command.complete(session, Array(before.dropFirst()))
        } else {
            pool = []
        }
        return Array(Set(pool.filter { $0.hasPrefix(word.lowercased()) })).sorted()
    }
}

/// What a script run did: every error (FILE:LINE: message), and whether it asked to quit.
public struct ScriptResult: Equatable {
    public let errors: [String]
    public let quit: Bool
}
