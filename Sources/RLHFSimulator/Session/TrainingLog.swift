import Foundation
import RLHFEngine
import RLHFStages

/// `set log_file FILE`: every whole training iteration (a DPO step) of `train ppo|grpo|rloo|dpo`
/// appends one JSON object on its own line, in the shape of a TRL `log_history` entry: the
/// algorithm's metrics under TRL's names in the order the trainer reports them (with `gold/score`
/// where the iteration has samples), `kl_to_sft` (the mean over samples of sum_t (log p - log
/// p_ref), k1, as `evaluate` measures it), then `step` (the 1-based iteration; TRL's global step)
/// and `algorithm`. `pandas.read_json(FILE, lines=True)` reads the file as a table.
///
/// The log writer only subscribes to the training events; each line is appended through
/// `AtomicFile.appendLine` (one write at the end of FILE, cut back if it fails), so a line is
/// whole or absent. A write that fails stops the logging; the command then
/// reports it as its one error, after the training, which stays applied.
final class TrainingLog {
    let path: String
    private let algorithm: String
    private(set) var linesWritten = 0
    private(set) var failure: String?

    /// The session's log for a run of `algorithm`, or nil when `log_file` is off.
    init?(_ session: Session, algorithm: String) {
        guard let path = session.logFile else { return nil }
        self.path = path
        self.algorithm = algorithm
    }

    /// One log line: `metrics` in order (a name already given is not repeated), then `step` and `algorithm`.
    static func line(algorithm: String, step: Int, metrics: [Metric]) -> String {
        var seen: Set<String> = []
        var members: [(String, JSONText)] = []
        for metric in metrics where seen.insert(metric.name).inserted {
            members.append((metric.name, metric.value.isFinite ? .double(metric.value) : .null))
        }
        members += [("step", .integer(step)), ("algorithm", .string(algorithm))]
        return JSONText.object(members).rendered(compact: true)
    }

    /// Appends the line of iteration `step`; after a failure, does nothing.
    func record(step: Int, metrics: [Metric]) {
        guard failure == nil else { return }
        do {
            try AtomicFile.appendLine(Self.line(algorithm: algorithm, step: step, metrics: metrics), to: path)
            linesWritten += 1
        } catch {
            failure = String(describing: error)
        }
    }

    /// Throws the write failure, if any, naming what was applied and what was logged.
    func finish() throws {
        guard let failure else { return }
        throw CommandError("log_file: \(failure); logging stopped after \(linesWritten) line"
            + "\(linesWritten == 1 ? "" : "s") (the training above is applied)")
    }

    /// Checks that `path` can take the log (`set log_file`): creates it empty if missing, else reads it.
    static func check(_ path: String) throws {
        do {
            if SystemFileSystem().kind(of: path) == .missing {
                try SafeFile.write(Data(), to: path)
            } else {
                _ = try SafeFile.read(path)
            }
        } catch let error as FileError {
            throw CommandError("log_file: \(error.description)")
        }
    }
}
