import ArgumentParser
import Foundation
import LineEditShims
import RLHFSimulator
import RLHFStages

/// The console of a real process: standard output, colour on a terminal unless
/// NO_COLOR is set, progress bars on a terminal only, Ctrl-C through the shim's flag.
final class TerminalConsole: Console {
    let isTerminal: Bool
    let usesColor: Bool
    private var progressShown = false
    /// Reads the answer at a lesson's pause (the REPL's line editor); nil: no pauses.
    private let pauseReader: ((String) -> LineEditor.Input)?

    init(isTerminal: Bool, pauseReader: ((String) -> LineEditor.Input)? = nil) {
        self.isTerminal = isTerminal
        self.pauseReader = pauseReader
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

    func waitAtPause() -> PauseAnswer {
        guard isTerminal, let pauseReader else { return .proceed }
        clearProgress()
        let prompt = Style(enabled: usesColor).dim("(Enter: go on; a command: run it; Ctrl-C: stop the lesson) ")
        switch pauseReader(prompt) {
        case .line(let text):
            return text.allSatisfy(\.isWhitespace) ? .proceed : .command(text)
        case .end:
            return .proceed
        case .interrupted, .terminated:
            // The flag stops the lesson; a terminating signal is remembered by the shim.
            line_edit_set_interrupted()
            return .stop
        }
    }

    func ask(_ question: String) -> String? {
        guard isTerminal, let pauseReader else { return nil }
        clearProgress()
        switch pauseReader(question) {
        case .line(let text): return text.trimmingCharacters(in: .whitespaces)
        case .end: return nil
        case .interrupted, .terminated:
            line_edit_set_interrupted()
            return nil
        }
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
        line_edit_install_interrupt_flag()
        let console = TerminalConsole(isTerminal: false)
        let lines = TextLines.split(text)
        let result = interpreter.runScript(lines: lines, name: name, console: console, keepGoing: keepGoing,
                                           folder: folder)
        if let last = result.errors.last, !keepGoing {
            FileHandle.standardError.write(Data("error: \(last)\n".utf8))
        }
        if let signal = Termination.signal {
            let message = "rlhf: \(Termination.name(signal)): stopped after the last whole step\n"
            FileHandle.standardError.write(Data(message.utf8))
            throw ExitCode(128 + signal)
        }
        if !result.errors.isEmpty { throw ExitCode(1) }
    }
}

/// SIGTERM, SIGHUP, SIGQUIT: the running command stops at its last whole step, then the
/// process ends with 128 + the signal's number (the shell's convention).
enum Termination {
    static var signal: Int32? {
        let number = line_edit_termination()
        return number == 0 ? nil : number
    }

    static func name(_ signal: Int32) -> String {
        [1: "SIGHUP", 3: "SIGQUIT", 15: "SIGTERM"][signal] ?? "signal \(signal)"
    }
}

/// The REPL on a terminal, through libedit.
enum InteractiveMode {
    /// Runs until `quit` or the end of input; returns the terminating signal that ended it, if one did.
    static func run(interpreter: Interpreter, firstLine: String? = nil) -> Int32? {
        let environment = ProcessInfo.processInfo.environment
        var historyFile: String? = environment["RLHF_HISTORY"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".rlhf_history")
        let historyProblem = historyFile.flatMap(LineEditor.historyProblem)
        if historyProblem != nil { historyFile = nil }
        let editor = LineEditor(historyFile: historyFile) { interpreter.completions(lineBeforeCursor: $0, word: $1) }
        let console = TerminalConsole(isTerminal: true) { editor.read(prompt: $0, returnOnInterrupt: true) }
        let style = Style(enabled: console.usesColor)
        if let historyProblem {
            console.line(style.red("error: ") + "\(historyProblem) (RLHF_HISTORY names the "
                + "history file); it is left as it is and this session keeps no history")
        }
        line_edit_install_interrupt_flag()
        console.line(Banner.text(style: style))
        /// Runs one line; true when the process is to end (quit, or a terminating signal).
        func execute(_ line: String) -> Bool {
            line_edit_clear_interrupted()
            let outcome = interpreter.execute(line, console: console)
            if line_edit_interrupted() { console.line("(interrupted: stopped after the last whole step)") }
            line_edit_clear_interrupted()
            if case .failed(let message) = outcome { console.line(style.red("error: ") + message) }
            return outcome == .quit || Termination.signal != nil
        }
        if let firstLine {
            if execute(firstLine) { return Termination.signal }
            console.line("The lesson is over; the session is yours (`help` lists the commands).")
        }
        while true {
            switch editor.read(prompt: console.usesColor ? "\u{1B}[1;32mrlhf\u{1B}[0m> " : "rlhf> ") {
            case .line(let line): if execute(line) { return Termination.signal }
            case .end, .interrupted: return nil
            case .terminated(let signal): return signal
            }
        }
    }
}
