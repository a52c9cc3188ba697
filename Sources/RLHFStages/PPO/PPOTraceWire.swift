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
            let container = try decoder.container(keyedBy: ConfigKey.self)
            format = try container.decode(String.self, forKey: ConfigKey("format"))
            guard format == PPOTrace.format else {
                throw FileError(path: "", reason: "format is \"\(format)\", expected \"\(PPOTrace.format)\"")
            }
            version = try container.decode(Int.self, forKey: ConfigKey("version"))
            guard version == PPOTrace.version else {
                throw FileError(path: "", reason: "version \(version) is not supported "
                    + "(this build reads version \(PPOTrace.version))")
            }
            config = try container.decode(Config.self, forKey: ConfigKey("config"))
            rollouts = try container.decode([RolloutEntry].self, forKey: ConfigKey("rollouts"))
            updates = try container.decode([UpdateEntry].self, forKey: ConfigKey("updates"))
            metrics = try container.decodeIfPresent([String: Double].self, forKey: ConfigKey("metrics"))
        }

        var trace: PPOTrace {
            PPOTrace(config: config.value, eosTokenID: config.eosTokenID, padTokenID: config.padTokenID,
                     klCoefUsed: config.klCoefUsed, rollouts: rollouts.map(\.value), updates: updates.map(\.value),
                     metrics: metrics)
        }
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
            value = try TraceField.record(decoder, PPOTrace.RolloutRecord.fields, from: PPOTrace.RolloutRecord())
        }
    }

    struct UpdateEntry: Decodable {
        let value: PPOTrace.UpdateRecord

        init(from decoder: Decoder) throws {
            value = try TraceField.record(decoder, MinibatchRecord.fields, from: .empty)
        }
    }
}
