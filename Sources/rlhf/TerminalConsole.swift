import ArgumentParser
import Foundation
import LineEditShims
import RLHFSimulator

/// The console of a real process: standard output, colour on a terminal unless
/// NO_COLOR is set, progress bars on a terminal only, Ctrl-C through the shim's flag.
final class TerminalConsole: Console {
    let isTerminal: Bool
    let usesColor: Bool
    private var progressShown = false

    init(isTerminal: Bool) {
        self.isTerminal = isTerminal
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        usesColor = isTerminal && !noColor
    }

    func write(_ text: String) {
        clearProgress()
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    func showProgress(_ text: String) {
        guard isTerminal else { return }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K\(text)".utf8))
        progressShown = true
    }

    func interruptRequested() -> Bool { line_edit_interrupted() }

    func waitForEnter() {
        guard isTerminal else { return }
        write(Style(enabled: usesColor).dim("(press Enter to go on)"))
        _ = readLine()
    }

    func ask(_ question: String) -> String? {
        guard isTerminal else { return nil }
        write(question)
        return readLine()?.trimmingCharacters(in: .whitespaces)
    }

    private func clearProgress() {
        guard progressShown else { return }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
        progressShown = false
    }
}

/// Scripts and piped input: the same interpreter, no line editor.
enum ScriptMode {
    static func run(text: String, name: String, interpreter: Interpreter, keepGoing: Bool, folder: URL? = nil) throws {
        let console = TerminalConsole(isTerminal: false)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let result = interpreter.runScript(lines: lines, name: name, console: console, keepGoing: keepGoing, folder: folder)
        if let last = result.errors.last, !keepGoing {
            FileHandle.standardError.write(Data("error: \(last)\n".utf8))
        }
        if !result.errors.isEmpty { throw ExitCode(1) }
    }
}

/// The REPL on a terminal, through libedit.
enum InteractiveMode {
    static func run(interpreter: Interpreter, firstLine: String? = nil) {
        let environment = ProcessInfo.processInfo.environment
        let historyFile = environment["RLHF_HISTORY"] ?? (NSHomeDirectory() as NSString).appendingPathComponent(".rlhf_history")
        let editor = LineEditor(historyFile: historyFile) { interpreter.completions(lineBeforeCursor: $0, word: $1) }
        let console = TerminalConsole(isTerminal: true)
        line_edit_install_interrupt_flag()
        console.line(Banner.text(style: Style(enabled: console.usesColor)))
        if let firstLine {
            if case .failed(let message) = interpreter.execute(firstLine, console: console) {
                console.line(Style(enabled: console.usesColor).red("error: ") + message)
            }
            console.line("The lesson is over; the session is yours (`help` lists the commands).")
        }
        while let line = editor.readLine(prompt: console.usesColor ? "\u{1B}[1;32mrlhf\u{1B}[0m> " : "rlhf> ") {
            line_edit_clear_interrupted()
            let outcome = interpreter.execute(line, console: console)
            if line_edit_interrupted() { console.line("(interrupted: stopped after the last whole step)") }
            line_edit_clear_interrupted()
            switch outcome {
            case .done: continue
            case .quit: return
            case .failed(let message): console.line(Style(enabled: console.usesColor).red("error: ") + message)
            }
        }
    }
}
