import RLHFStages

/// The DPO settings `set` and `show` know: TRL's DPOConfig names (`DPOConfig.CodingKeys`)
/// behind `dpo.`, since PPO's settings already own `learning_rate` and `max_grad_norm`.
enum DPOSettings {
    static let all: [Setting] = [
        number(.beta, "DPO's beta: implicit reward = beta (log pi - log pi_ref)", 0.0001...100, \.beta),
        Setting(name: name(.lossType),
                meaning: "sigmoid: -log sigmoid(beta z); hinge: max(0, 1 - beta z); ipo: (z - 1/(2 beta))^2",
                read: { $0.dpoConfig.lossType.rawValue }) { session, text in
            guard let value = DPOConfig.LossType(rawValue: text) else {
                let options = DPOConfig.LossType.allCases.map(\.rawValue).joined(separator: ", ")
                throw CommandError("\(name(.lossType)) takes \(options), not \"\(text)\"")
            }
            session.dpoConfig.lossType = value
        },
        number(.labelSmoothing, "cDPO's share of labels taken as flipped (sigmoid loss; 0: plain DPO)", 0...0.5,
               \.labelSmoothing),
        number(.learningRate, "DPO's Adam step size (TRL's default 1e-6 barely moves this tiny model)", 1e-9...1,
               \.learningRate),
        integer(.perDeviceTrainBatchSize, "preference pairs per DPO step", 1...1024, \.perDeviceTrainBatchSize),
        number(.maxGradNorm, "DPO's gradient-norm clipping", 0.0001...1e6, \.maxGradNorm),
        integer(.evalSteps, "DPO's held-out metrics every this many steps, and at the last", 1...100_000, \.evalSteps),
    ]

    /// The setting's name: `dpo.` and TRL's name.
    static func name(_ key: DPOConfig.CodingKeys) -> String { "dpo.\(key.stringValue)" }

    private static func number(_ key: DPOConfig.CodingKeys, _ meaning: String, _ range: ClosedRange<Double>,
                               _ path: WritableKeyPath<DPOConfig, Double> & Sendable) -> Setting {
        let name = name(key)
        let read: @Sendable (Session) -> String = { Format.short($0.dpoConfig[keyPath: path]) }
        return Setting(name: name, meaning: meaning, read: read) { session, text in
            guard let value = Double(text), range.contains(value) else {
                throw CommandError("\(name) takes a number from \(Format.short(range.lowerBound)) to "
                    + "\(Format.short(range.upperBound)), not \"\(text)\"")
            }
            session.dpoConfig[keyPath: path] = value
        }
    }

    private static func integer(_ key: DPOConfig.CodingKeys, _ meaning: String, _ range: ClosedRange<Int>,
                                _ path: WritableKeyPath<DPOConfig, Int> & Sendable) -> Setting {
        let name = name(key)
        return Setting(name: name, meaning: meaning, read: { "\($0.dpoConfig[keyPath: path])" }) { session, text in
            guard let value = Int(text), range.contains(value) else {
                throw CommandError("\(name) takes a whole number from \(range.lowerBound) to \(range.upperBound), "
                    + "not \"\(text)\"")
            }
            session.dpoConfig[keyPath: path] = value
        }
    }
}
