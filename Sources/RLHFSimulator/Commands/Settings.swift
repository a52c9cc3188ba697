import RLHFStages

/// Every setting `set` and `show` know, under TRL's PPOConfig names where one exists.
struct Setting: Sendable {
    let name: String
    let meaning: String
    let read: @Sendable (Session) -> String
    let write: @Sendable (Session, String) throws -> Void

    static let all: [Setting] = [
        number("kl_coef", "beta: weight of the KL penalty in the shaped reward", 0...100, \.klCoef),
        choice("kl_estimator", "per-token KL estimate: k1 = log p - log p_ref, k3 = (r - 1) - log r",
               PPOConfig.KLEstimator.allCases.map(\.rawValue), { $0.config.klEstimator.rawValue },
               { $0.klEstimator = PPOConfig.KLEstimator(rawValue: $1)! }),
        optionalNumber("adaptive_kl_target", "target KL of the adaptive controller (none: beta stays fixed)", 0.001...1000, \.adaptiveKLTarget),
        number("adaptive_kl_horizon", "horizon of the adaptive controller", 1...1e9, \.adaptiveKLHorizon),
        number("gamma", "discount", 0...1, \.gamma),
        number("lam", "GAE's lambda", 0...1, \.lam),
        number("cliprange", "epsilon of the clipped surrogate", 0.0001...10, \.cliprange),
        number("cliprange_value", "clip range of the value prediction", 0.0001...100, \.cliprangeValue),
        number("vf_coef", "weight of the value loss", 0...100, \.vfCoef),
        number("entropy_coef", "weight of the entropy bonus (0: none)", 0...10, \.entropyCoef),
        integer("num_ppo_epochs", "passes over each batch", 1...64, \.numPPOEpochs),
        integer("num_mini_batches", "minibatches per pass", 1...256, \.numMiniBatches),
        integer("batch_size", "rollouts per PPO iteration", 1...256, \.batchSize),
        choice("whiten_rewards", "whiten shaped rewards before GAE", ["true", "false"],
               { "\($0.config.whitenRewards)" }, { $0.whitenRewards = $1 == "true" }),
        optionalNumber("missing_eos_penalty", "penalty for a response without EOS (none: no penalty)", 0...1000, \.missingEOSPenalty),
        choice("missing_eos_mode", "subtract the penalty from the score (TRL) or replace the score by -penalty",
               PPOConfig.MissingEOSMode.allCases.map(\.rawValue), { $0.config.missingEOSMode.rawValue },
               { $0.missingEOSMode = PPOConfig.MissingEOSMode(rawValue: $1)! }),
        number("learning_rate", "Adam's step size", 1e-9...1, \.learningRate),
        number("max_grad_norm", "gradient-norm clipping", 0.0001...1e6, \.maxGradNorm),
        number("temperature", "sampling temperature (log-probs use logits / temperature)", 0.01...100, \.temperature),
        integer("top_k", "sample from the k most likely tokens only (0: all)", 0...1000, \.topK),
        integer("response_length", "longest response, in tokens, EOS included", 1...64, \.responseLength),
        choice("score_position", "where the score lands: on EOS (TRL 0.11.4) or one slot after it (TRL's PPOv2)",
               PPOConfig.ScorePosition.allCases.map(\.rawValue), { $0.config.scorePosition.rawValue },
               { $0.scorePosition = PPOConfig.ScorePosition(rawValue: $1)! }),
        Setting(name: "label_file", meaning: "where `label` appends your choices",
                read: { $0.labelFile }, write: { session, value in session.labelFile = value }),
        Setting(name: "log_file", meaning: "training appends one JSON line per iteration here, TRL's names (off: none)",
                read: { $0.logFile ?? "off" }, write: { session, value in
                    if value != "off" { try TrainingLog.check(value) }
                    session.logFile = value == "off" ? nil : value
                }),
    ] + DPOSettings.all

    static func named(_ name: String) -> Setting? { all.first { $0.name == name } }

    /// Why the settings do not go together, or nil: settings that would otherwise be clamped
    /// without a word are refused instead.
    static func conflict(_ session: Session) -> String? {
        let config = session.config
        if config.numMiniBatches > config.batchSize {
            return "num_mini_batches \(config.numMiniBatches) is more than batch_size \(config.batchSize): "
                + "every minibatch needs at least one rollout"
        }
        if config.topK > session.tokenizer.vocabularySize {
            return "top_k \(config.topK) is more than the vocabulary's \(session.tokenizer.vocabularySize) tokens "
                + "(0 samples from all of them)"
        }
        return nil
    }

    private static func number(_ name: String, _ meaning: String, _ range: ClosedRange<Double>,
                               _ path: WritableKeyPath<PPOConfig, Double> & Sendable) -> Setting {
        Setting(name: name, meaning: meaning, read: { Format.short($0.config[keyPath: path]) }) { session, text in
            guard let value = Double(text), range.contains(value) else {
                throw CommandError("\(name) takes a number from \(Format.short(range.lowerBound)) to \(Format.short(range.upperBound)), not \(Format.quoted(text))")
            }
            session.config[keyPath: path] = value
        }
    }

    private static func optionalNumber(_ name: String, _ meaning: String, _ range: ClosedRange<Double>,
                                       _ path: WritableKeyPath<PPOConfig, Double?> & Sendable) -> Setting {
        Setting(name: name, meaning: meaning, read: { $0.config[keyPath: path].map(Format.short) ?? "none" }) { session, text in
            if text == "none" { session.config[keyPath: path] = nil; return }
            guard let value = Double(text), range.contains(value) else {
                throw CommandError("\(name) takes none or a number from \(Format.short(range.lowerBound)) to \(Format.short(range.upperBound)), not \(Format.quoted(text))")
            }
            session.config[keyPath: path] = value
        }
    }

    private static func integer(_ name: String, _ meaning: String, _ range: ClosedRange<Int>,
                                _ path: WritableKeyPath<PPOConfig, Int> & Sendable) -> Setting {
        Setting(name: name, meaning: meaning, read: { "\($0.config[keyPath: path])" }) { session, text in
            guard let value = Int(text), range.contains(value) else {
                throw CommandError("\(name) takes a whole number from \(range.lowerBound) to \(range.upperBound), not \(Format.quoted(text))")
            }
            session.config[keyPath: path] = value
        }
    }

    private static func choice(_ name: String, _ meaning: String, _ options: [String],
                               _ read: @escaping @Sendable (Session) -> String,
                               _ apply: @escaping @Sendable (inout PPOConfig, String) -> Void) -> Setting {
        Setting(name: name, meaning: meaning, read: read) { session, text in
            guard options.contains(text) else {
                throw CommandError("\(name) takes \(options.joined(separator: " or ")), not \(Format.quoted(text))")
            }
            apply(&session.config, text)
        }
    }
}

extension Format {
    /// A setting's value: the shortest text that reads back as the same number.
    static func short(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}
