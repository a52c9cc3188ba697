import Foundation
import LineEditShims
import RLHFEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads command lines from the terminal with libedit: cursor movement and
/// emacs-style editing keys, history (up/down arrows, ^R search) kept in a
/// file across runs, and TAB completion driven by a Swift closure.
///
/// Behaviour at the prompt:
/// - TAB: a unique candidate is inserted followed by a space; with several
///   candidates their common prefix is inserted (or the terminal beeps) and a
///   second TAB lists them, as GNU readline does.
/// - Ctrl-C abandons the half-typed line, echoes `^C` and shows a fresh prompt.
/// - Ctrl-D on an empty line ends input (`readLine` returns nil).
/// - The terminal settings are restored after every line.
///
/// When standard input is not a terminal, libedit is not used at all:
/// `read(prompt:)` reads plain lines with the standard library's
/// `readLine()`, prints no prompt and records no history.
///
/// Use from one thread only (the one that owns the terminal).
final class LineEditor {
    /// Computes completion candidates: given the text of the line before the
    /// cursor and the word being completed (its last whitespace-separated
    /// part), returns full replacement words, e.g. `["help", "history"]` for
    /// the word `"h"`. Candidates need not be sorted or unique.
    typealias Completer = (_ lineBeforeCursor: String, _ word: String) -> [String]

    /// Whether standard input is an interactive terminal.
    static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) != 0 }

    /// The history file given at creation, or nil for none.
    let historyFile: String?

    /// The libedit session, or nil when stdin is not a terminal (or libedit
    /// failed to start), in which case plain `Swift.readLine()` is used.
    private let session: OpaquePointer?

    /// Holds the completer; the C side keeps an unretained pointer to it as
    /// the completion context, valid as long as this editor lives.
    private let completerBox: CompleterBox

    /// Creates an editor.
    ///
    /// - Parameters:
    ///   - historyFile: path of the history file (check it with `historyProblem` first), loaded
    ///     now if it exists and rewritten after every entered line through `SafeFile` (a
    ///     temporary file renamed over it; a symbolic link's target is replaced); nil for none.
    ///   - historyLimit: how many lines of history to keep.
    ///   - completer: computes TAB-completion candidates; see `Completer`.
    init(historyFile: String?, historyLimit: Int = 1000, completer: @escaping Completer) {
        self.historyFile = historyFile
        self.completerBox = CompleterBox(completer)
        guard LineEditor.standardInputIsTerminal,
              let session = line_edit_open("rlhf", nil, Int32(clamping: historyLimit))
        else {
            self.session = nil
            return
        }
        self.session = session
        if let historyFile, SystemFileSystem().kind(of: historyFile) == .regularFile {
            _ = line_edit_history_load(session, historyFile)
        }
        // A capture-free closure converts to a C function pointer; it finds
        // the Swift completer through the context pointer, so no global Swift
        // state is involved.
        let context = Unmanaged.passUnretained(completerBox).toOpaque()
        line_edit_set_completer(session, { context, lineBeforeCursor, word, sink in
            guard let context else { return }
            let box = Unmanaged<CompleterBox>.fromOpaque(context).takeUnretainedValue()
            let candidates = box.completer(String(cString: lineBeforeCursor), String(cString: word))
            for candidate in candidates {
                line_edit_candidates_add(sink, candidate)
            }
        }, context)
    }

    deinit {
        line_edit_close(session)
    }

    /// Characters that separate words for completion (default: space, tab,
    /// newline). ASCII only.
    func setWordBreakCharacters(_ characters: String) {
        guard let session else { return }
        line_edit_set_word_break_characters(session, characters)
    }

    /// What a read gave.
    enum Input: Equatable {
        case line(String)
        /// End of input (Ctrl-D on an empty line, end of piped input, the terminal gone).
        case end
        /// Ctrl-C, when the caller asked to hear of it (a lesson's pause).
        case interrupted
        /// SIGTERM, SIGHUP or SIGQUIT: the terminal is restored; end with 128 + this number.
        case terminated(Int32)
    }

    /// Shows `prompt` and reads one line, without its newline.
    ///
    /// Ctrl-C at the prompt drops the line and shows the prompt again, unless
    /// `returnOnInterrupt`. Non-blank lines are added to history (and saved).
    /// ANSI colour sequences in `prompt` are fine; they are not counted towards its width.
    func read(prompt: String, returnOnInterrupt: Bool = false) -> Input {
        guard let session else {
            return Swift.readLine(strippingNewline: true).map(Input.line) ?? .end
        }
        while true {
            var status = LINE_EDIT_EOF
            let raw = line_edit_read_line(session, prompt, &status)
            if status == LINE_EDIT_TERMINATED { return .terminated(line_edit_termination()) }
            if status == LINE_EDIT_INTERRUPTED {
                if returnOnInterrupt { return .interrupted }
                continue
            }
            guard status == LINE_EDIT_LINE, let raw else {
                return .end
            }
            let line = String(cString: raw)
            free(raw)
            if line.contains(where: { !$0.isWhitespace }) {
                _ = line_edit_history_add(session, line)
                saveHistory()
            }
            return .line(line)
        }
    }
}

extension LineEditor {
    /// The first line of every history file libedit writes.
    static let historyFileMark = "_HiStOrY_V2_\n"

    /// Why `path` cannot be used as the history file, or nil if it can: it must be missing,
    /// empty, or a regular file in libedit's format, so that nothing else is overwritten.
    static func historyProblem(_ path: String) -> String? {
        switch SystemFileSystem().kind(of: path) {
        case .missing: return nil
        case .folder: return "\(path) is a folder, not a history file"
        case let .special(what): return "\(path) is \(what), not a history file"
        case .regularFile:
            guard let handle = FileHandle(forReadingAtPath: path) else { return "\(path) cannot be read" }
            defer { try? handle.close() }
            let start = (try? handle.read(upToCount: historyFileMark.utf8.count)) ?? Data()
            if start.isEmpty || start == Data(historyFileMark.utf8) { return nil }
            return "\(path) is not a libedit history file (its first line is not _HiStOrY_V2_)"
        }
    }

    /// Rewrites the history file whole, through a temporary file renamed over it.
    private func saveHistory() {
        guard let session, let historyFile else { return }
        try? SafeFile.replace(historyFile) { temporary in
            guard line_edit_history_save_to(session, temporary) else {
                throw FileError(path: historyFile, reason: "cannot write the history")
            }
        }
    }
}

/// Reference wrapper so the completer closure has a stable address that can
/// travel through C as a `void *` context.
private final class CompleterBox {
    let completer: LineEditor.Completer
    init(_ completer: @escaping LineEditor.Completer) { self.completer = completer }
}
