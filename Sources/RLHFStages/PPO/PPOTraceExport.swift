import Foundation
import RLHFEngine

/// One PPO batch and its update as plain data: every setting, every per-token
/// quantity of every rollout, and every optimiser step, so that an outside tool
/// (a notebook, TRL itself) can recompute each number from the others.
///
/// `PPOTraceExport` writes it as JSON and reads it back; docs/ppo-trace.md describes
/// the file field by field. Per-token arrays run over the response up to and
/// including EOS, entry t describing the action a_t taken in state s_t.
public struct PPOTrace: Equatable, Sendable {
    /// The value of the file's `format` key.
    public static let format = "rlhf-ppo-trace"
    /// The value of the file's `version` key.
    public static let version = 1

    /// Every PPO setting (written under TRL's names).
    public var config: PPOConfig
    public var eosTokenID: Int
    public var padTokenID: Int
    /// beta actually used for this batch's shaped rewards (`kl_coef_used`); differs
    /// from `config.klCoef` once the adaptive controller has moved it.
    public var klCoefUsed: Double
    public var rollouts: [RolloutRecord]
    /// The optimiser steps taken so far, in order (empty before the update).
    public var updates: [UpdateRecord]
    /// TRL's metrics of the iteration, by name; nil until the update has finished.
    public var metrics: [String: Double]?

    public init(config: PPOConfig, eosTokenID: Int, padTokenID: Int, klCoefUsed: Double,
                rollouts: [RolloutRecord], updates: [UpdateRecord], metrics: [String: Double]?) {
        self.config = config
        self.eosTokenID = eosTokenID
        self.padTokenID = padTokenID
        self.klCoefUsed = klCoefUsed
        self.rollouts = rollouts
        self.updates = updates
        self.metrics = metrics
    }

    /// One rollout of the batch (see `Rollout` for each field's meaning).
    public struct RolloutRecord: Equatable, Sendable {
        public var promptTokens: [Int]
        /// The response, EOS included when there is one.
        public var responseTokens: [Int]
        public var endedWithEOS: Bool
        /// Decoded prompt, when a tokenizer was given.
        public var promptText: String?
        /// Decoded response without its closing EOS, when a tokenizer was given.
        public var responseText: String?
        public var logprobs: [Double]
        public var refLogprobs: [Double]
        public var values: [Double]
        /// The reward model's score, before the missing-EOS rule (`rm_score`).
        public var rmScore: Double
        /// The score PPO used, after the missing-EOS rule.
        public var score: Double
        public var goldScore: Double?
        public var kl: [Double]
        public var nonScoreRewards: [Double]
        public var rewards: [Double]
        public var deltas: [Double]
        public var rawAdvantages: [Double]
        public var advantages: [Double]
        public var returns: [Double]
        /// log pi(a_t|s_t) after the whole update; nil until it has finished.
        public var logprobsAfter: [Double]?

        public init(promptTokens: [Int], responseTokens: [Int], endedWithEOS: Bool,
                    promptText: String? = nil, responseText: String? = nil,
                    logprobs: [Double], refLogprobs: [Double], values: [Double],
                    rmScore: Double, score: Double, goldScore: Double?,
                    kl: [Double], nonScoreRewards: [Double], rewards: [Double], deltas: [Double],
                    rawAdvantages: [Double], advantages: [Double], returns: [Double],
                    logprobsAfter: [Double]? = nil) {
            self.promptTokens = promptTokens
            self.responseTokens = responseTokens
            self.endedWithEOS = endedWithEOS
            self.promptText = promptText
            self.responseText = responseText
            self.logprobs = logprobs
            self.refLogprobs = refLogprobs
            self.values = values
            self.rmScore = rmScore
            self.score = score
            self.goldScore = goldScore
            self.kl = kl
            self.nonScoreRewards = nonScoreRewards
            self.rewards = rewards
            self.deltas = deltas
            self.rawAdvantages = rawAdvantages
            self.advantages = advantages
            self.returns = returns
            self.logprobsAfter = logprobsAfter
        }
    }

    /// One optimiser step (see `MinibatchRecord`). Per-token arrays are nested: one
    /// inner array per rollout of the minibatch, in the order of `rolloutIndices`.
    public struct UpdateRecord: Equatable, Sendable {
        public var epoch: Int
        public var minibatch: Int
        public var rolloutIndices: [Int]
        public var newLogprobs: [[Double]]
        public var newValues: [[Double]]
        public var ratio: [[Double]]
        public var pgLossesUnclipped: [[Double]]
        public var pgLossesClipped: [[Double]]
        public var vfLossesUnclipped: [[Double]]
        public var vfLossesClipped: [[Double]]
        /// Entropy of pi(.|s_t) at each token.
        public var entropy: [[Double]]
        public var pgLoss: Double
        public var vfLoss: Double
        public var loss: Double
        public var clipfrac: Double
        public var vfClipfrac: Double
        public var approxkl: Double
        public var entropyMean: Double
        public var ratioMean: Double
        public var gradNorm: Double

        public init(epoch: Int, minibatch: Int, rolloutIndices: [Int],
                    newLogprobs: [[Double]], newValues: [[Double]], ratio: [[Double]],
                    pgLossesUnclipped: [[Double]], pgLossesClipped: [[Double]],
                    vfLossesUnclipped: [[Double]], vfLossesClipped: [[Double]], entropy: [[Double]],
                    pgLoss: Double, vfLoss: Double, loss: Double, clipfrac: Double, vfClipfrac: Double,
                    approxkl: Double, entropyMean: Double, ratioMean: Double, gradNorm: Double) {
            self.epoch = epoch
            self.minibatch = minibatch
            self.rolloutIndices = rolloutIndices
            self.newLogprobs = newLogprobs
            self.newValues = newValues
            self.ratio = ratio
            self.pgLossesUnclipped = pgLossesUnclipped
            self.pgLossesClipped = pgLossesClipped
            self.vfLossesUnclipped = vfLossesUnclipped
            self.vfLossesClipped = vfLossesClipped
            self.entropy = entropy
            self.pgLoss = pgLoss
            self.vfLoss = vfLoss
            self.loss = loss
            self.clipfrac = clipfrac
            self.vfClipfrac = vfClipfrac
            self.approxkl = approxkl
            self.entropyMean = entropyMean
            self.ratioMean = ratioMean
            self.gradNorm = gradNorm
        }
    }
}

// MARK: - From the trainer's records

extension PPOTrace {
    /// The trace of a finished iteration: its batch, every step of its update, the
    /// log-probs after it and its metrics.
    /// - Parameter tokenizer: when given, adds `prompt_text` and `response_text`.
    public init(iteration: PPOIteration, config: PPOConfig, eosTokenID: Int, padTokenID: Int,
                tokenizer: Tokenizer? = nil) {
        self.init(batch: iteration.batch, updates: iteration.updates, config: config,
                  eosTokenID: eosTokenID, padTokenID: padTokenID, tokenizer: tokenizer)
        for index in rollouts.indices where index < iteration.logprobsAfter.count {
            rollouts[index].logprobsAfter = iteration.logprobsAfter[index]
        }
        metrics = Dictionary(iteration.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// The trace of a batch whose update is partial or not yet run: no metrics, no
    /// log-probs after the update.
    public init(batch: RolloutBatch, updates: [MinibatchRecord], config: PPOConfig,
                eosTokenID: Int, padTokenID: Int, tokenizer: Tokenizer? = nil) {
        let rollouts = batch.rollouts.map { rollout in
            RolloutRecord(
                promptTokens: rollout.promptTokens, responseTokens: rollout.responseTokens,
                endedWithEOS: rollout.endedWithEOS,
                promptText: tokenizer.map { $0.decode(rollout.promptTokens) },
                responseText: tokenizer.map { $0.decode(rollout.responseText) },
                logprobs: rollout.logprobs, refLogprobs: rollout.refLogprobs, values: rollout.values,
                rmScore: rollout.rewardModelScore, score: rollout.score, goldScore: rollout.goldScore,
                kl: rollout.kl, nonScoreRewards: rollout.nonScoreRewards, rewards: rollout.rewards,
                deltas: rollout.deltas, rawAdvantages: rollout.rawAdvantages, advantages: rollout.advantages,
                returns: rollout.returns)
        }
        let steps = updates.map { record in
            UpdateRecord(
                epoch: record.epoch, minibatch: record.minibatch, rolloutIndices: record.rolloutIndices,
                newLogprobs: record.newLogprobs, newValues: record.newValues, ratio: record.ratio,
                pgLossesUnclipped: record.pgLossesUnclipped, pgLossesClipped: record.pgLossesClipped,
                vfLossesUnclipped: record.vfLossesUnclipped, vfLossesClipped: record.vfLossesClipped,
                entropy: record.entropy, pgLoss: record.pgLoss, vfLoss: record.vfLoss, loss: record.loss,
                clipfrac: record.clipfrac, vfClipfrac: record.vfClipfrac, approxkl: record.approxkl,
                entropyMean: record.entropyMean, ratioMean: record.ratioMean, gradNorm: record.gradNorm)
        }
        self.init(config: config, eosTokenID: eosTokenID, padTokenID: padTokenID, klCoefUsed: batch.klCoef,
                  rollouts: rollouts, updates: steps, metrics: nil)
    }

    /// The same, with the token ids and the texts from `tokenizer`.
    public init(iteration: PPOIteration, config: PPOConfig, tokenizer: Tokenizer) {
        self.init(iteration: iteration, config: config, eosTokenID: tokenizer.eosID, padTokenID: tokenizer.padID,
                  tokenizer: tokenizer)
    }

    /// The same, with the token ids and the texts from `tokenizer`.
    public init(batch: RolloutBatch, updates: [MinibatchRecord], config: PPOConfig, tokenizer: Tokenizer) {
        self.init(batch: batch, updates: updates, config: config, eosTokenID: tokenizer.eosID,
                  padTokenID: tokenizer.padID, tokenizer: tokenizer)
    }

    // MARK: Back to the trainer's records

    /// The batch as the trainer holds it (for showing a loaded trace, or recomputing it).
    public func rolloutBatch() -> RolloutBatch {
        let prepared = rollouts.map { record -> Rollout in
            var rollout = Rollout(
                promptTokens: record.promptTokens, responseTokens: record.responseTokens,
                endedWithEOS: record.endedWithEOS, logprobs: record.logprobs, refLogprobs: record.refLogprobs,
                values: record.values, rewardModelScore: record.rmScore, score: record.score,
                goldScore: record.goldScore)
            rollout.kl = record.kl
            rollout.nonScoreRewards = record.nonScoreRewards
            rollout.rewards = record.rewards
            rollout.deltas = record.deltas
            rollout.rawAdvantages = record.rawAdvantages
            rollout.advantages = record.advantages
            rollout.returns = record.returns
            return rollout
        }
        return RolloutBatch(rollouts: prepared, klCoef: klCoefUsed)
    }

    /// The update's steps as the trainer records them.
    public func minibatchRecords() -> [MinibatchRecord] {
        updates.map { step in
            MinibatchRecord(
                epoch: step.epoch, minibatch: step.minibatch, rolloutIndices: step.rolloutIndices,
                newLogprobs: step.newLogprobs, newValues: step.newValues, ratio: step.ratio,
                pgLossesUnclipped: step.pgLossesUnclipped, pgLossesClipped: step.pgLossesClipped,
                vfLossesUnclipped: step.vfLossesUnclipped, vfLossesClipped: step.vfLossesClipped,
                entropy: step.entropy, pgLoss: step.pgLoss, vfLoss: step.vfLoss, loss: step.loss,
                clipfrac: step.clipfrac, vfClipfrac: step.vfClipfrac, approxkl: step.approxkl,
                entropyMean: step.entropyMean, ratioMean: step.ratioMean, gradNorm: step.gradNorm)
        }
    }

    /// The whole iteration, when the trace holds a finished update (metrics and the
    /// log-probs after it); nil otherwise. Metrics come back in `PPOMetrics`' order.
    public func iteration() -> PPOIteration? {
        guard let metrics else { return nil }
        let after = rollouts.compactMap(\.logprobsAfter)
        guard after.count == rollouts.count else { return nil }
        let batch = rolloutBatch()
        let updates = minibatchRecords()
        let canonical = PPOMetrics.iteration(batch: batch, updates: updates, klCoef: klCoefUsed).map(\.name)
        let known = Set(canonical)
        let names = canonical.filter { metrics[$0] != nil } + metrics.keys.filter { !known.contains($0) }.sorted()
        return PPOIteration(batch: batch, updates: updates, logprobsAfter: after,
                            metrics: names.map { Metric($0, metrics[$0]!) })
    }
}

// MARK: - Errors

/// A trace file that cannot be written or read. The message names the file and,
/// for a bad file, the key and what is wrong with it.
public struct PPOTraceError: Error, Equatable, CustomStringConvertible, Sendable {
    public let file: String
    public let message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

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
        var text = ""
        TraceJSON.render(node(trace), indent: 0, into: &text)
        text += "\n"
        return Data(text.utf8)
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
    /// - Throws: `PPOTraceError` naming `path` when it cannot be written.
    public static func write(_ trace: PPOTrace, to path: String) throws {
        do {
            try AtomicFile.write(json(trace), to: path)
        } catch {
            throw PPOTraceError(file: path, message: "cannot write the trace: \(error.localizedDescription)")
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
    /// - Throws: `PPOTraceError` naming the file for a missing or unreadable file, JSON
    ///   that does not parse, a missing or mistyped key, or arrays whose lengths disagree.
    public static func read(path: String) throws -> PPOTrace {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PPOTraceError(file: path, message: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PPOTraceError(file: path, message: "cannot read the file")
        }
        return try decode(data, file: path)
    }

    /// The trace in `data`, named `file` in messages.
    public static func decode(_ data: Data, file: String) throws -> PPOTrace {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw PPOTraceError(file: file, message: "the file is empty")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let wire: Wire.Trace
        do {
            wire = try decoder.decode(Wire.Trace.self, from: data)
        } catch let error as PPOTraceError {
            throw PPOTraceError(file: file, message: error.message)
        } catch let error as DecodingError {
            if case let .dataCorrupted(context) = error, context.codingPath.isEmpty {
                throw PPOTraceError(file: file, message: syntaxProblem(data))
            }
            throw PPOTraceError(file: file, message: describe(error))
        } catch {
            throw PPOTraceError(file: file, message: "not a PPO trace: \(error)")
        }
        let trace = wire.trace
        if let problem = inconsistency(trace) { throw PPOTraceError(file: file, message: problem) }
        return trace
    }

    // MARK: Checks

    /// The first disagreement between array lengths, if any.
    static func inconsistency(_ trace: PPOTrace) -> String? {
        for (index, rollout) in trace.rollouts.enumerated() {
            let count = rollout.responseTokens.count
            if count == 0 { return "rollouts[\(index)].response_tokens is empty" }
            let arrays: [(String, [Double]?)] = [
                ("logprobs", rollout.logprobs), ("ref_logprobs", rollout.refLogprobs), ("values", rollout.values),
                ("kl", rollout.kl), ("non_score_rewards", rollout.nonScoreRewards), ("rewards", rollout.rewards),
                ("deltas", rollout.deltas), ("raw_advantages", rollout.rawAdvantages),
                ("advantages", rollout.advantages), ("returns", rollout.returns),
                ("logprobs_after", rollout.logprobsAfter),
            ]
            for (name, array) in arrays {
                if let array, array.count != count {
                    return "rollouts[\(index)].\(name) has \(array.count) entries for \(count) response tokens"
                }
            }
        }
        for (index, step) in trace.updates.enumerated() {
            for rollout in step.rolloutIndices where !trace.rollouts.indices.contains(rollout) {
                return "updates[\(index)].rollout_indices names rollout \(rollout) of \(trace.rollouts.count)"
            }
            let arrays: [(String, [[Double]])] = [
                ("new_logprobs", step.newLogprobs), ("new_values", step.newValues), ("ratio", step.ratio),
                ("pg_losses_unclipped", step.pgLossesUnclipped), ("pg_losses_clipped", step.pgLossesClipped),
                ("vf_losses_unclipped", step.vfLossesUnclipped), ("vf_losses_clipped", step.vfLossesClipped),
                ("entropy", step.entropy),
            ]
            for (name, array) in arrays {
                guard array.count == step.rolloutIndices.count else {
                    return "updates[\(index)].\(name) has \(array.count) rows for \(step.rolloutIndices.count) rollouts"
                }
                for (row, rollout) in step.rolloutIndices.enumerated()
                where array[row].count != trace.rollouts[rollout].responseTokens.count {
                    return "updates[\(index)].\(name)[\(row)] has \(array[row].count) entries for rollout \(rollout)'s " +
                        "\(trace.rollouts[rollout].responseTokens.count) response tokens"
                }
            }
        }
        return nil
    }

    /// Where JSON that does not parse goes wrong, as JSONSerialization tells it, with
    /// "around character N" turned into a line and column.
    static func syntaxProblem(_ data: Data) -> String {
        var detail = ""
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch let error as NSError {
            detail = (error.userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
        }
        if detail.isEmpty { return "not valid JSON" }
        if let range = detail.range(of: #"character (\d+)"#, options: .regularExpression),
           let offset = Int(detail[range].dropFirst("character ".count)), offset <= data.count {
            let before = data.prefix(offset)
            let line = before.filter { $0 == 0x0A }.count + 1
            let column = offset - (before.lastIndex(of: 0x0A).map { $0 - data.startIndex + 1 } ?? 0) + 1
            detail = detail.replacingCharacters(in: range, with: "line \(line), column \(column)")
        }
        if detail.hasSuffix(".") { detail.removeLast() }
        return "not valid JSON: \(detail)"
    }

    /// A decoding error in words, with the key path where it happened.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))"
            return "missing key \"\(key.stringValue)\"\(parent)"
        case let .typeMismatch(type, context):
            return "\(path(context.codingPath)): expected \(typeName(type)) (\(context.debugDescription))"
        case let .valueNotFound(type, context):
            return "\(path(context.codingPath)): expected \(typeName(type)), found null"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                let underlying = context.underlyingError.map { String(describing: $0) } ?? ""
                let detail = [context.debugDescription, underlying].filter { !$0.isEmpty }.joined(separator: ": ")
                return "not valid JSON" + (detail.isEmpty ? "" : " (\(detail))")
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "not a PPO trace: \(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type: "a number"
        case is Int.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is String.Type: "a string"
        case is [String: Any].Type: "an object"
        case is [Any].Type: "an array"
        default: "\(type)"
        }
    }

    // MARK: Building the JSON

    static func node(_ trace: PPOTrace) -> TraceJSON {
        var top: [(String, TraceJSON)] = [
            ("format", .string(PPOTrace.format)),
            ("version", .integer(PPOTrace.version)),
            ("config", .object(configEntries(trace).sorted { $0.0 < $1.0 })),
            ("rollouts", .array(trace.rollouts.map(node))),
            ("updates", .array(trace.updates.map(node))),
        ]
        if let metrics = trace.metrics {
            top.append(("metrics", .object(metrics.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })))
        }
        return .object(top)
    }

    /// Every setting under TRL's name, with JSON types; plus the token ids and the beta used.
    static func configEntries(_ trace: PPOTrace) -> [(String, TraceJSON)] {
        let c = trace.config
        return [
            ("kl_coef", .number(c.klCoef)), ("kl_estimator", .string(c.klEstimator.rawValue)),
            ("adaptive_kl_target", c.adaptiveKLTarget.map(TraceJSON.number) ?? .null),
            ("adaptive_kl_horizon", .number(c.adaptiveKLHorizon)),
            ("gamma", .number(c.gamma)), ("lam", .number(c.lam)), ("cliprange", .number(c.cliprange)),
            ("cliprange_value", .number(c.cliprangeValue)), ("vf_coef", .number(c.vfCoef)),
            ("entropy_coef", .number(c.entropyCoef)), ("num_ppo_epochs", .integer(c.numPPOEpochs)),
            ("num_mini_batches", .integer(c.numMiniBatches)), ("batch_size", .integer(c.batchSize)),
            ("whiten_rewards", .bool(c.whitenRewards)),
            ("missing_eos_penalty", c.missingEOSPenalty.map(TraceJSON.number) ?? .null),
            ("missing_eos_mode", .string(c.missingEOSMode.rawValue)),
            ("learning_rate", .number(c.learningRate)), ("adam_beta1", .number(c.adamBeta1)),
            ("adam_beta2", .number(c.adamBeta2)), ("adam_epsilon", .number(c.adamEpsilon)),
            ("max_grad_norm", .number(c.maxGradNorm)), ("temperature", .number(c.temperature)),
            ("top_k", .integer(c.topK)), ("response_length", .integer(c.responseLength)),
            ("eos_token_id", .integer(trace.eosTokenID)), ("pad_token_id", .integer(trace.padTokenID)),
            ("kl_coef_used", .number(trace.klCoefUsed)),
        ]
    }

    static func node(_ rollout: PPOTrace.RolloutRecord) -> TraceJSON {
        var entries: [(String, TraceJSON)] = [
            ("prompt_tokens", .integers(rollout.promptTokens)),
            ("response_tokens", .integers(rollout.responseTokens)),
            ("ended_with_eos", .bool(rollout.endedWithEOS)),
        ]
        if let text = rollout.promptText { entries.append(("prompt_text", .string(text))) }
        if let text = rollout.responseText { entries.append(("response_text", .string(text))) }
        entries += [
            ("logprobs", .numbers(rollout.logprobs)),
            ("ref_logprobs", .numbers(rollout.refLogprobs)),
            ("values", .numbers(rollout.values)),
            ("rm_score", .number(rollout.rmScore)),
            ("score", .number(rollout.score)),
        ]
        if let gold = rollout.goldScore { entries.append(("gold_score", .number(gold))) }
        entries += [
            ("kl", .numbers(rollout.kl)),
            ("non_score_rewards", .numbers(rollout.nonScoreRewards)),
            ("rewards", .numbers(rollout.rewards)),
            ("deltas", .numbers(rollout.deltas)),
            ("raw_advantages", .numbers(rollout.rawAdvantages)),
            ("advantages", .numbers(rollout.advantages)),
            ("returns", .numbers(rollout.returns)),
        ]
        if let after = rollout.logprobsAfter { entries.append(("logprobs_after", .numbers(after))) }
        return .object(entries)
    }

    static func node(_ step: PPOTrace.UpdateRecord) -> TraceJSON {
        func rows(_ values: [[Double]]) -> TraceJSON { .array(values.map(TraceJSON.numbers)) }
        return .object([
            ("epoch", .integer(step.epoch)),
            ("minibatch", .integer(step.minibatch)),
            ("rollout_indices", .integers(step.rolloutIndices)),
            ("new_logprobs", rows(step.newLogprobs)),
            ("new_values", rows(step.newValues)),
            ("ratio", rows(step.ratio)),
            ("pg_losses_unclipped", rows(step.pgLossesUnclipped)),
            ("pg_losses_clipped", rows(step.pgLossesClipped)),
            ("vf_losses_unclipped", rows(step.vfLossesUnclipped)),
            ("vf_losses_clipped", rows(step.vfLossesClipped)),
            ("entropy", rows(step.entropy)),
            ("pg_loss", .number(step.pgLoss)),
            ("vf_loss", .number(step.vfLoss)),
            ("loss", .number(step.loss)),
            ("clipfrac", .number(step.clipfrac)),
            ("vf_clipfrac", .number(step.vfClipfrac)),
            ("approxkl", .number(step.approxkl)),
            ("entropy_mean", .number(step.entropyMean)),
            ("ratio_mean", .number(step.ratioMean)),
            ("grad_norm", .number(step.gradNorm)),
        ])
    }
}

// MARK: - A small JSON writer with a fixed key order

/// A JSON value whose object keys keep the order they were given in.
enum TraceJSON {
    case object([(String, TraceJSON)])
    case array([TraceJSON])
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case string(String)
    case null

    static func numbers(_ values: [Double]) -> TraceJSON { .array(values.map(TraceJSON.number)) }
    static func integers(_ values: [Int]) -> TraceJSON { .array(values.map(TraceJSON.integer)) }

    /// A Double as JSON: Swift's shortest digits that read back to the same Double
    /// ("0.1", "1e-08", "-0.0"); non-finite values as strings.
    static func numberText(_ value: Double) -> String {
        if value.isNaN { return "\"NaN\"" }
        if value.isInfinite { return value > 0 ? "\"Infinity\"" : "\"-Infinity\"" }
        return value.description
    }

    static func stringText(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    private var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }

    /// Objects one key per line; arrays of scalars on one line; arrays of containers one per line.
    static func render(_ value: TraceJSON, indent: Int, into text: inout String) {
        let inner = String(repeating: "  ", count: indent + 1)
        let outer = String(repeating: "  ", count: indent)
        switch value {
        case let .object(entries):
            if entries.isEmpty { text += "{}"; return }
            text += "{\n"
            for (index, (key, item)) in entries.enumerated() {
                text += inner + stringText(key) + ": "
                render(item, indent: indent + 1, into: &text)
                text += index + 1 < entries.count ? ",\n" : "\n"
            }
            text += outer + "}"
        case let .array(items):
            if items.isEmpty { text += "[]"; return }
            if !items.contains(where: \.isContainer) {
                text += "["
                for (index, item) in items.enumerated() {
                    if index > 0 { text += ", " }
                    render(item, indent: indent + 1, into: &text)
                }
                text += "]"
                return
            }
            text += "[\n"
            for (index, item) in items.enumerated() {
                text += inner
                render(item, indent: indent + 1, into: &text)
                text += index + 1 < items.count ? ",\n" : "\n"
            }
            text += outer + "]"
        case let .number(number): text += numberText(number)
        case let .integer(number): text += String(number)
        case let .bool(flag): text += flag ? "true" : "false"
        case let .string(string): text += stringText(string)
        case .null: text += "null"
        }
    }
}

// MARK: - Decoding

/// The file's shape, for `JSONDecoder`.
private enum Wire {
    struct Trace: Decodable {
        let format: String
        let version: Int
        let config: Config
        let rollouts: [RolloutEntry]
        let updates: [UpdateEntry]
        let metrics: [String: Double]?

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            format = try container.decode(String.self, forKey: Key("format"))
            guard format == PPOTrace.format else {
                throw PPOTraceError(file: "", message: "format is \"\(format)\", expected \"\(PPOTrace.format)\"")
            }
            version = try container.decode(Int.self, forKey: Key("version"))
            guard version == PPOTrace.version else {
                throw PPOTraceError(file: "", message: "version \(version) is not supported (this build reads version \(PPOTrace.version))")
            }
            config = try container.decode(Config.self, forKey: Key("config"))
            rollouts = try container.decode([RolloutEntry].self, forKey: Key("rollouts"))
            updates = try container.decode([UpdateEntry].self, forKey: Key("updates"))
            metrics = try container.decodeIfPresent([String: Double].self, forKey: Key("metrics"))
        }

        var trace: PPOTrace {
            PPOTrace(config: config.value, eosTokenID: config.eosTokenID, padTokenID: config.padTokenID,
                     klCoefUsed: config.klCoefUsed, rollouts: rollouts.map(\.value), updates: updates.map(\.value),
                     metrics: metrics)
        }
    }

    struct Key: CodingKey {
        let stringValue: String
        let intValue: Int? = nil
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct Config: Decodable {
        let value: PPOConfig
        let eosTokenID: Int
        let padTokenID: Int
        let klCoefUsed: Double

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            func number(_ name: String) throws -> Double { try c.decode(Double.self, forKey: Key(name)) }
            func integer(_ name: String) throws -> Int { try c.decode(Int.self, forKey: Key(name)) }
            func optionalNumber(_ name: String) throws -> Double? {
                guard c.contains(Key(name)) else {
                    throw DecodingError.keyNotFound(Key(name), .init(codingPath: c.codingPath, debugDescription: "missing"))
                }
                return try c.decodeIfPresent(Double.self, forKey: Key(name))
            }
            func choice<Choice: RawRepresentable<String> & CaseIterable>(_ name: String, _: Choice.Type) throws -> Choice {
                let raw = try c.decode(String.self, forKey: Key(name))
                guard let value = Choice(rawValue: raw) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: Key(name), in: c,
                        debugDescription: "\"\(raw)\" is not one of \(Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
                }
                return value
            }
            var config = PPOConfig()
            config.klCoef = try number("kl_coef")
            config.klEstimator = try choice("kl_estimator", PPOConfig.KLEstimator.self)
            config.adaptiveKLTarget = try optionalNumber("adaptive_kl_target")
            config.adaptiveKLHorizon = try number("adaptive_kl_horizon")
            config.gamma = try number("gamma")
            config.lam = try number("lam")
            config.cliprange = try number("cliprange")
            config.cliprangeValue = try number("cliprange_value")
            config.vfCoef = try number("vf_coef")
            config.entropyCoef = try number("entropy_coef")
            config.numPPOEpochs = try integer("num_ppo_epochs")
            config.numMiniBatches = try integer("num_mini_batches")
            config.batchSize = try integer("batch_size")
            config.whitenRewards = try c.decode(Bool.self, forKey: Key("whiten_rewards"))
            config.missingEOSPenalty = try optionalNumber("missing_eos_penalty")
            config.missingEOSMode = try choice("missing_eos_mode", PPOConfig.MissingEOSMode.self)
            config.learningRate = try number("learning_rate")
            config.adamBeta1 = try number("adam_beta1")
            config.adamBeta2 = try number("adam_beta2")
            config.adamEpsilon = try number("adam_epsilon")
            config.maxGradNorm = try number("max_grad_norm")
            config.temperature = try number("temperature")
            config.topK = try integer("top_k")
            config.responseLength = try integer("response_length")
            value = config
            eosTokenID = try integer("eos_token_id")
            padTokenID = try integer("pad_token_id")
            klCoefUsed = try number("kl_coef_used")
        }
    }

    struct RolloutEntry: Decodable {
        let value: PPOTrace.RolloutRecord

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            func numbers(_ name: String) throws -> [Double] { try c.decode([Double].self, forKey: Key(name)) }
            func number(_ name: String) throws -> Double { try c.decode(Double.self, forKey: Key(name)) }
            value = PPOTrace.RolloutRecord(
                promptTokens: try c.decode([Int].self, forKey: Key("prompt_tokens")),
                responseTokens: try c.decode([Int].self, forKey: Key("response_tokens")),
                endedWithEOS: try c.decode(Bool.self, forKey: Key("ended_with_eos")),
                promptText: try c.decodeIfPresent(String.self, forKey: Key("prompt_text")),
                responseText: try c.decodeIfPresent(String.self, forKey: Key("response_text")),
                logprobs: try numbers("logprobs"), refLogprobs: try numbers("ref_logprobs"),
                values: try numbers("values"), rmScore: try number("rm_score"), score: try number("score"),
                goldScore: try c.decodeIfPresent(Double.self, forKey: Key("gold_score")),
                kl: try numbers("kl"), nonScoreRewards: try numbers("non_score_rewards"),
                rewards: try numbers("rewards"), deltas: try numbers("deltas"),
                rawAdvantages: try numbers("raw_advantages"), advantages: try numbers("advantages"),
                returns: try numbers("returns"),
                logprobsAfter: try c.decodeIfPresent([Double].self, forKey: Key("logprobs_after")))
        }
    }

    struct UpdateEntry: Decodable {
        let value: PPOTrace.UpdateRecord

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            func rows(_ name: String) throws -> [[Double]] { try c.decode([[Double]].self, forKey: Key(name)) }
            func number(_ name: String) throws -> Double { try c.decode(Double.self, forKey: Key(name)) }
            value = PPOTrace.UpdateRecord(
                epoch: try c.decode(Int.self, forKey: Key("epoch")),
                minibatch: try c.decode(Int.self, forKey: Key("minibatch")),
                rolloutIndices: try c.decode([Int].self, forKey: Key("rollout_indices")),
                newLogprobs: try rows("new_logprobs"), newValues: try rows("new_values"), ratio: try rows("ratio"),
                pgLossesUnclipped: try rows("pg_losses_unclipped"), pgLossesClipped: try rows("pg_losses_clipped"),
                vfLossesUnclipped: try rows("vf_losses_unclipped"), vfLossesClipped: try rows("vf_losses_clipped"),
                entropy: try rows("entropy"), pgLoss: try number("pg_loss"), vfLoss: try number("vf_loss"),
                loss: try number("loss"), clipfrac: try number("clipfrac"), vfClipfrac: try number("vf_clipfrac"),
                approxkl: try number("approxkl"), entropyMean: try number("entropy_mean"),
                ratioMean: try number("ratio_mean"), gradNorm: try number("grad_norm"))
        }
    }
}
