// Temporary demo of the line editor (to be replaced by the real REPL).
// Echoes each line; TAB completes from a fixed list of command words.
// `busy` runs a 10-second loop that Ctrl-C stops through the interrupt flag.

import Foundation
import LineEditShims

/// Words offered for completion at the start of a line.
let demoCommands = ["busy", "help", "prompt", "quit", "set", "show", "state", "step"]

/// Completes the first word from `demoCommands`; after `set`/`show`, offers a
/// few made-up setting names so multi-word completion can be tried.
func demoCandidates(lineBeforeCursor: String, word: String) -> [String] {
    let earlier = lineBeforeCursor.dropLast(word.count).split(separator: " ")
    let pool: [String]
    switch earlier.first {
    case nil: pool = demoCommands
    case "set"?, "show"?: pool = ["temperature", "top_k", "top_p", "learning_rate"]
    default: pool = []
    }
    return pool.filter { $0.hasPrefix(word) }
}

if LineEditor.standardInputIsTerminal {
    let environment = ProcessInfo.processInfo.environment
    let historyFile = environment["RLHF_HISTORY"]
        ?? (NSHomeDirectory() as NSString).appendingPathComponent(".rlhf_history")
    let editor = LineEditor(historyFile: historyFile, completer: demoCandidates)
    // From here on Ctrl-C outside the prompt sets a flag instead of killing us.
    line_edit_install_interrupt_flag()
    print("rlhf line-editor demo. TAB completes, Ctrl-C clears the line, Ctrl-D or 'quit' exits.")
    input: while let line = editor.readLine(prompt: "\u{1B}[1;32mrlhf\u{1B}[0m> ") {
        switch line.trimmingCharacters(in: .whitespaces) {
        case "quit":
            break input
        case "busy":
            line_edit_clear_interrupted()
            let start = Date()
            print("working for 10 s; press Ctrl-C to stop early")
            while Date().timeIntervalSince(start) < 10, !line_edit_interrupted() {
                usleep(50_000)
            }
            print(line_edit_interrupted() ? "interrupted after \(Int(Date().timeIntervalSince(start) * 1000)) ms" : "done")
            line_edit_clear_interrupted()
        default:
            print("you typed: \(line)")
        }
    }
} else {
    // Not a terminal (piped input): no libedit at all.
    while let line = readLine() {
        print("you typed: \(line)")
    }
}
