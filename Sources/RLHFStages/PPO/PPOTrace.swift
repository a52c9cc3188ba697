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

    /// One rollout of the batch as the trace holds it: the `Rollout` (whose fields read through, as
    /// `record.logprobs`), the decoded texts, and the log-probs after the update.
    @dynamicMemberLookup
    public struct RolloutRecord: Equatable, Sendable {
        public var rollout: Rollout
        /// Decoded prompt, when a tokenizer was given.
        public var promptText: String?
        /// Decoded response without its closing EOS, when a tokenizer was given.
        public var responseText: String?
        /// log pi(a_t|s_t) after the whole update; nil until it has finished.
        public var logprobsAfter: [Double]?

        public init(rollout: Rollout = .empty, promptText: String? = nil, responseText: String? = nil,
                    logprobsAfter: [Double]? = nil) {
            self.rollout = rollout
            self.promptText = promptText
            self.responseText = responseText
            self.logprobsAfter = logprobsAfter
        }

        public subscript<Value>(dynamicMember path: WritableKeyPath<Rollout, Value>) -> Value {
            get { rollout[keyPath: path] }
            set { rollout[keyPath: path] = newValue }
        }
    }

    /// One optimiser step: the trainer's own record. Per-token arrays are nested: one inner array per
    /// rollout of the minibatch, in the order of `rolloutIndices`.
    public typealias UpdateRecord = MinibatchRecord
}

// MARK: - The recorded quantities, each declared once

extension PPOTrace.RolloutRecord {
    /// Every quantity of a rollout under its name in the file, in the file's order (docs/ppo-trace.md).
    static let fields: [TraceField<PPOTrace.RolloutRecord>] = [
        .required("prompt_tokens", \.rollout.promptTokens, JSONText.integers),
        .required("response_tokens", \.rollout.responseTokens, JSONText.integers),
        .required("ended_with_eos", \.rollout.endedWithEOS, JSONText.bool),
        .optional("prompt_text", \.promptText, JSONText.string),
        .optional("response_text", \.responseText, JSONText.string),
        .perToken("logprobs", \.rollout.logprobs),
        .perToken("ref_logprobs", \.rollout.refLogprobs),
        .perToken("values", \.rollout.values),
        .defaulted("value_after_last", \.rollout.valueAfterLast, JSONText.double),
        .required("rm_score", \.rollout.rewardModelScore, JSONText.double),
        .required("score", \.rollout.score, JSONText.double),
        .optional("gold_score", \.rollout.goldScore, JSONText.double),
        .perToken("kl", \.rollout.kl),
        .perToken("non_score_rewards", \.rollout.nonScoreRewards),
        .perToken("rewards", \.rollout.rewards),
        .perToken("deltas", \.rollout.deltas),
        .perToken("raw_advantages", \.rollout.rawAdvantages),
        .perToken("advantages", \.rollout.advantages),
        .perToken("returns", \.rollout.returns),
        .optional("logprobs_after", \.logprobsAfter, JSONText.doubles, shape: .perToken),
        .optional("after_eos", \.rollout.afterEOS, { TraceField.object($0, ScoreSlot.fields) }),
    ]
}

extension ScoreSlot: JSONReadable {
    /// The slot after EOS under its names in the file.
    static let fields: [TraceField<ScoreSlot>] = [
        .required("value", \.value, JSONText.double), .required("reward", \.reward, JSONText.double),
        .required("delta", \.delta, JSONText.double), .required("raw_advantage", \.rawAdvantage, JSONText.double),
        .required("return", \.return, JSONText.double),
    ]

    public init(json: JSONValue, at path: String) throws {
        self = try TraceField.record(json, at: path, Self.fields, from: ScoreSlot(value: 0, reward: 0))
    }
}

extension MinibatchRecord {
    /// Every quantity of an optimiser step under its name in the file, in the file's order.
    static let fields: [TraceField<MinibatchRecord>] = [
        .required("epoch", \.epoch, JSONText.integer),
        .required("minibatch", \.minibatch, JSONText.integer),
        .required("rollout_indices", \.rolloutIndices, JSONText.integers),
        .rows("new_logprobs", \.newLogprobs),
        .rows("new_values", \.newValues),
        .rows("ratio", \.ratio),
        .rows("pg_losses_unclipped", \.pgLossesUnclipped),
        .rows("pg_losses_clipped", \.pgLossesClipped),
        .rows("vf_losses_unclipped", \.vfLossesUnclipped),
        .rows("vf_losses_clipped", \.vfLossesClipped),
        .rows("entropy", \.entropy),
        .required("pg_loss", \.pgLoss, JSONText.double),
        .required("vf_loss", \.vfLoss, JSONText.double),
        .required("loss", \.loss, JSONText.double),
        .required("clipfrac", \.clipfrac, JSONText.double),
        .required("vf_clipfrac", \.vfClipfrac, JSONText.double),
        .required("approxkl", \.approxkl, JSONText.double),
        .required("entropy_mean", \.entropyMean, JSONText.double),
        .required("ratio_mean", \.ratioMean, JSONText.double),
        .required("grad_norm", \.gradNorm, JSONText.double),
    ]
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
            RolloutRecord(rollout: rollout, promptText: tokenizer.map { $0.decode(rollout.promptTokens) },
                          responseText: tokenizer.map { $0.decode(rollout.responseText) })
        }
        self.init(config: config, eosTokenID: eosTokenID, padTokenID: padTokenID, klCoefUsed: batch.klCoef,
                  rollouts: rollouts, updates: updates, metrics: nil)
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
        RolloutBatch(rollouts: rollouts.map(\.rollout), klCoef: klCoefUsed, config: config,
                     whitened: rollouts.reduce(0) { $0 + $1.responseTokens.count } >= 2)
    }

    /// The update's steps as the trainer records them.
    public func minibatchRecords() -> [MinibatchRecord] { updates }

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
