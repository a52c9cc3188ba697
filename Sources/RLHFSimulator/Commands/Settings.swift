import RLHFEngine
import RLHFStages

/// Every setting `set` and `show` know: the PPO settings under TRL's PPOConfig names, where `label`
/// writes, and DPO's under TRL's DPOConfig names behind `dpo.` (PPO's already own `learning_rate` and
/// `max_grad_norm`). Each is a config's `ConfigField`, declared once in RLHFStages; this only binds it
/// to the session.
struct Setting: Sendable {
    let name: String
    let meaning: String
    let read: @Sendable (Session) -> String
    let write: @Sendable (Session, String) throws -> Void

    static let all: [Setting] = PPOConfig.fields.listed().map { bound($0, to: \.config) }
        + [Setting(name: "label_file", meaning: "where `label` appends your choices",
                   read: { $0.labelFile }, write: { session, value in
                       do { try SafeFile.requireWritableFile(value) } catch let error as FileError {
                           throw CommandError("label_file: \(error.description)")
                       }
                       session.labelFile = value
                   }),
           Setting(name: "log_file",
                   meaning: "training appends one JSON line per iteration here, TRL's names (off: none)",
                   read: { $0.logFile ?? "off" }, write: { session, value in
                       if value != "off" { try TrainingLog.check(value) }
                       session.logFile = value == "off" ? nil : value
                   })]
        + DPOConfig.fields.listed().map { bound($0, to: \.dpoConfig, prefix: "dpo.") }

    static func named(_ name: String) -> Setting? { all.first { $0.name == name } }

    /// `field` of the session's config at `path`, named `prefix` + TRL's name.
    static func bound<Config>(_ field: ConfigField<Config>,
                              to path: ReferenceWritableKeyPath<Session, Config> & Sendable,
                              prefix: String = "") -> Setting {
        let name = prefix + field.name
        return Setting(name: name, meaning: field.meaning, read: { field.read($0[keyPath: path]) }) { session, text in
            var config = session[keyPath: path]
            do { try field.set(&config, to: text, as: name) } catch let error as ConfigFieldError {
                throw CommandError(error.message)
            }
            session[keyPath: path] = config
        }
    }

    /// Why the settings do not go together, or nil: settings that would otherwise be clamped
    /// without a word are refused instead.
    static func conflict(_ session: Session) -> String? {
        let config = session.config
        if config.numMiniBatches > config.batchSize {
            return "num_mini_batches \(config.numMiniBatches) is more than batch_size \(config.batchSize): "
                + "every minibatch needs at least one rollout"
        }
        if let problem = config.adaptiveKLProblem(rollouts: config.batchSize) { return problem }
        if config.topK > session.tokenizer.vocabularySize {
            return "top_k \(config.topK) is more than the vocabulary's \(session.tokenizer.vocabularySize) tokens "
                + "(0 samples from all of them)"
        }
        return nil
    }
}

extension Format {
    /// A setting's value: the shortest text that reads back as the same number.
    static func short(_ value: Double) -> String { ConfigField<PPOConfig>.shortText(value) }
}
