/// Where the interpreter writes, and how it learns that the user pressed Ctrl-C.
///
/// The terminal front end, script replays and tests each provide one; the interpreter
/// never prints directly.
public protocol Console: AnyObject {
    /// True on an interactive terminal: progress bars are drawn only then.
    var isTerminal: Bool { get }
    /// Whether to colour text (a terminal without NO_COLOR).
    var usesColor: Bool { get }
    /// Writes text as it is (add "\n" for a line).
    func write(_ text: String)
    /// Shows a transient status line (a progress bar); cleared by the next `write`.
    func showProgress(_ text: String)
    /// True once the user asked to stop the running command (Ctrl-C).
    func interruptRequested() -> Bool
    /// A lesson's pause: waits for Enter on a terminal, goes straight on in a replay.
    func waitAtPause() -> PauseAnswer
    /// A lesson's question: on a terminal, shows `question` and returns the line the learner
    /// types (nil at end of input); in a replay returns nil at once.
    func ask(_ question: String) -> String?
}

/// What the learner did at a lesson's pause.
public enum PauseAnswer: Equatable, Sendable {
    /// Enter (or a replay): the lesson goes on.
    case proceed
    /// Ctrl-C (or a signal): the lesson stops at once.
    case stop
    /// A command typed at the pause: it is run, then the lesson waits again.
    case command(String)
}

extension Console {
    /// Writes `text` followed by a newline.
    public func line(_ text: String = "") { write(text + "\n") }
}

/// A console that keeps everything written, for scripts and tests.
public final class TextConsole: Console {
    public private(set) var text = ""
    public let isTerminal = false
    public let usesColor = false
    private let interrupt: () -> Bool

    public init(interrupt: @escaping () -> Bool = { false }) { self.interrupt = interrupt }

    public func write(_ text: String) { self.text += text }
    public func showProgress(_ text: String) {}
    public func interruptRequested() -> Bool { interrupt() }
    public func waitAtPause() -> PauseAnswer { .proceed }
    public func ask(_ question: String) -> String? { nil }

    /// Returns what was written since the last call and forgets it.
    public func take() -> String {
        defer { text = "" }
        return text
    }
}
