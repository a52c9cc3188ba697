import Foundation
import RLHFEngine

// MARK: - Decoding

/// The file's shape, for `JSONDecoder`.
enum Wire {
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
            let c = try decoder.container(keyedBy: ConfigKey.self)
            var config = PPOConfig()
            for field in PPOConfig.fields { try field.decode(&config, from: c) }
            value = config
            eosTokenID = try c.decode(Int.self, forKey: ConfigKey("eos_token_id"))
            padTokenID = try c.decode(Int.self, forKey: ConfigKey("pad_token_id"))
            klCoefUsed = try c.decode(Double.self, forKey: ConfigKey("kl_coef_used"))
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
                logprobsAfter: try c.decodeIfPresent([Double].self, forKey: Key("logprobs_after")),
                valueAfterLast: try c.decodeIfPresent(Double.self, forKey: Key("value_after_last")) ?? 0,
                afterEOS: try c.decodeIfPresent(SlotEntry.self, forKey: Key("after_eos"))?.value)
        }
    }

    struct SlotEntry: Decodable {
        let value: ScoreSlot

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            func number(_ name: String) throws -> Double { try c.decode(Double.self, forKey: Key(name)) }
            value = ScoreSlot(value: try number("value"), reward: try number("reward"), delta: try number("delta"),
                              rawAdvantage: try number("raw_advantage"), return: try number("return"))
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
