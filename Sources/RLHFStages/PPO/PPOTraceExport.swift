import Foundation
import RLHFEngine

// MARK: - Writing and reading

/// Writing a `PPOTrace` as JSON, and reading it back.
///
/// The output is deterministic: keys in a fixed order (the order of docs/ppo-trace.md;
/// `config` and `metrics` sorted by name), two-space indentation, arrays of numbers on
/// one line, and every Double printed in Swift's shortest form that reads back to the
/// same Double. JSON has no NaN or infinity: those are written as the strings "NaN",
/// "Infinity" and "-Infinity" (Python: `float(x)` reads them).
public enum PPOTraceExport {
    /// The JSON of `trace`, UTF-8.
    public static func json(_ trace: PPOTrace) -> Data {
        Data(node(trace).rendered(inlineScalarArrays: true).utf8)
    }

    /// The JSON of a finished iteration.
    public static func json(iteration: PPOIteration, config: PPOConfig, tokenizer: Tokenizer) -> Data {
        json(PPOTrace(iteration: iteration, config: config, tokenizer: tokenizer))
    }

    /// The JSON of a batch and the steps of its update so far.
    public static func json(batch: RolloutBatch, updates: [MinibatchRecord], config: PPOConfig,
                            tokenizer: Tokenizer) -> Data {
        json(PPOTrace(batch: batch, updates: updates, config: config, tokenizer: tokenizer))
    }

    /// Writes `trace` to `path` through a temporary file renamed into place, so the
    /// file holds either its old contents or the whole trace.
    /// - Throws: `FileError` naming `path` when it cannot be written.
    public static func write(_ trace: PPOTrace, to path: String) throws {
        do {
            try SafeFile.write(json(trace), to: path)
        } catch let error as FileError {
            throw FileError(path: path, reason: "cannot write the trace: \(error.reason)")
        }
    }

    /// Writes a finished iteration to `path`.
    public static func write(iteration: PPOIteration, config: PPOConfig, tokenizer: Tokenizer,
                             to path: String) throws {
        try write(PPOTrace(iteration: iteration, config: config, tokenizer: tokenizer), to: path)
    }

    /// Writes a batch and the steps of its update so far to `path`.
    public static func write(batch: RolloutBatch, updates: [MinibatchRecord], config: PPOConfig,
                             tokenizer: Tokenizer, to path: String) throws {
        try write(PPOTrace(batch: batch, updates: updates, config: config, tokenizer: tokenizer), to: path)
    }

    /// The trace in the file at `path`.
    /// - Throws: `FileError` naming the file for a missing or unreadable file, JSON
    ///   that does not parse, a missing or mistyped key (there as `FILE:LINE`, the value's line or,
    ///   for a missing key, its object's), or arrays whose lengths disagree. An integer field takes a
    ///   number with no fraction below 9e15 in size (`1.0`, as Python may write it), not `1.5`.
    public static func read(path: String) throws -> PPOTrace {
        try decode(SafeFile.read(path), file: path)
    }

    /// The trace in `data`, named `file` in messages.
    public static func decode(_ data: Data, file: String) throws -> PPOTrace {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw FileError(path: file, reason: "the file is empty")
        }
        guard let text = UTF8Text.decode(data) else {
            throw FileError(path: file, reason: "not valid JSON: not UTF-8 text")
        }
        let trace: PPOTrace
        let value: JSONValue
        do {
            // Parsed without locations (no path kept per value); located below only for an error.
            value = try JSONParser.parse(text, rejectingRepeatedFields: true)
        } catch let failure as JSONParser.Failure {
            throw FileError(path: file, reason: "not valid JSON: \(failure)")
        }
        do {
            trace = try Wire.trace(value)
        } catch let error as JSONReadError {
            // FILE:LINE of the value at fault: `trace.json:41: rollouts[0].prompt_tokens[2]: expected ...`.
            // The text parsed above, so it parses located too (`parse(_:rejectingRepeatedFields:)`).
            let place = try error.path.map { "\(file):\(try JSONParser.parseLocated(text).locations.line(of: $0))" }
            throw FileError(path: place ?? file, reason: error.message)
        } catch let error as FileError {
            throw FileError(path: file, reason: error.reason)
        }
        if let problem = inconsistency(trace) { throw FileError(path: file, reason: problem) }
        return trace
    }

    // MARK: Checks

    /// The first disagreement between array lengths, if any.
    static func inconsistency(_ trace: PPOTrace) -> String? {
        for (index, rollout) in trace.rollouts.enumerated() {
            let count = rollout.responseTokens.count
            if count == 0 { return "rollouts[\(index)].response_tokens is empty" }
            for field in PPOTrace.RolloutRecord.fields where field.shape == .perToken {
                if let array = field.arrays(rollout)?.first, array.count != count {
                    return "rollouts[\(index)].\(field.name) has \(array.count) entries for \(count) response tokens"
                }
            }
        }
        for (index, step) in trace.updates.enumerated() {
            for rollout in step.rolloutIndices where !trace.rollouts.indices.contains(rollout) {
                return "updates[\(index)].rollout_indices names rollout \(rollout) of \(trace.rollouts.count)"
            }
            for field in MinibatchRecord.fields where field.shape == .rowsPerRollout {
                let array = field.arrays(step) ?? []
                guard array.count == step.rolloutIndices.count else {
                    return "updates[\(index)].\(field.name) has \(array.count) rows for "
                        + "\(step.rolloutIndices.count) rollouts"
                }
                for (row, rollout) in step.rolloutIndices.enumerated()
                where array[row].count != trace.rollouts[rollout].responseTokens.count {
                    return "updates[\(index)].\(field.name)[\(row)] has \(array[row].count) entries for rollout "
                        + "\(rollout)'s \(trace.rollouts[rollout].responseTokens.count) response tokens"
                }
            }
        }
        return nil
    }

    // MARK: Building the JSON

    static func node(_ trace: PPOTrace) -> JSONText {
        var top: [(String, JSONText)] = [
            ("format", .string(PPOTrace.format)),
            ("version", .integer(PPOTrace.version)),
            ("config", .object(configEntries(trace).sorted { $0.0 < $1.0 })),
            ("rollouts", .array(trace.rollouts.map(node))),
            ("updates", .array(trace.updates.map(node))),
        ]
        if let metrics = trace.metrics {
            top.append(("metrics", .object(metrics.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })))
        }
        return .object(top)
    }

    /// Every setting under TRL's name (`PPOConfig.fields`), with JSON types; plus the token ids and the beta used.
    static func configEntries(_ trace: PPOTrace) -> [(String, JSONText)] {
        PPOConfig.fields.map { ($0.name, $0.json(trace.config)) } + [
            ("eos_token_id", .integer(trace.eosTokenID)), ("pad_token_id", .integer(trace.padTokenID)),
            ("kl_coef_used", .double(trace.klCoefUsed)),
        ]
    }

    static func node(_ rollout: PPOTrace.RolloutRecord) -> JSONText {
        TraceField.object(rollout, PPOTrace.RolloutRecord.fields)
    }

    static func node(_ step: PPOTrace.UpdateRecord) -> JSONText { TraceField.object(step, MinibatchRecord.fields) }
}
