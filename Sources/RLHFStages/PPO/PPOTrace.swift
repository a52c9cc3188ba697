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
        /// V of the state after the last response token (`value_after_last`).
        public var valueAfterLast: Double
        /// The slot after EOS (`score_position after_eos`), when the rollout has one.
        public var afterEOS: ScoreSlot?

        public init(promptTokens: [Int], responseTokens: [Int], endedWithEOS: Bool,
                    promptText: String? = nil, responseText: String? = nil,
                    logprobs: [Double], refLogprobs: [Double], values: [Double],
                    rmScore: Double, score: Double, goldScore: Double?,
                    kl: [Double], nonScoreRewards: [Double], rewards: [Double], deltas: [Double],
                    rawAdvantages: [Double], advantages: [Double], returns: [Double],
                    logprobsAfter: [Double]? = nil, valueAfterLast: Double = 0, afterEOS: ScoreSlot? = nil) {
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
            self.valueAfterLast = valueAfterLast
            self.afterEOS = afterEOS
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
                returns: rollout.returns, valueAfterLast: rollout.valueAfterLast, afterEOS: rollout.afterEOS)
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
            rollout.afterEOS = record.afterEOS
            rollout.valueAfterLast = record.valueAfterLast
            return rollout
        }
        return RolloutBatch(rollouts: prepared, klCoef: klCoefUsed, config: config,
                            whitened: rollouts.reduce(0) { $0 + $1.responseTokens.count } >= 2)
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
