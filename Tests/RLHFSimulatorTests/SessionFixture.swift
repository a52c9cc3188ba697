import Foundation
import RLHFSimulator

/// A fresh session on the built-in world, and a console that records what it prints.
struct SessionFixture {
    let session: Session
    let interpreter: Interpreter
    let console = TextConsole()

    init(seed: UInt64 = 0) throws {
        session = try WorldLocation.startSession(seed: seed)
        session.labelFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("rlhf-test-labels-\(UUID().uuidString).jsonl").path
        interpreter = Interpreter(session: session)
    }

    /// Runs one line and returns what it printed; a failure is returned as "error: ...".
    @discardableResult
    func run(_ line: String) -> String {
        switch interpreter.execute(line, console: console) {
        case .done, .quit: return console.take()
        case .failed(let message): return console.take() + "error: \(message)\n"
        }
    }

    /// The outcome of one line.
    func outcome(_ line: String) -> Interpreter.Outcome {
        interpreter.execute(line, console: console)
    }
}

/// The package's root folder, found from this file's location.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
