import RLHFEngine

// MARK: - Reading

/// The file's shape, read from the parsed JSON with `JSONObjectReader`.
enum Wire {
    /// The trace in the parsed file `value`.
    /// - Throws: `JSONReadError` for a missing or mistyped key, or `FileError` (without the file)
    ///   for a format or version this build does not read.
    static func trace(_ value: JSONValue) throws -> PPOTrace {
        let file = try JSONObjectReader(value)
        let format = try file.required("format", as: String.self)
        guard format == PPOTrace.format else {
            throw FileError(path: "", reason: "format is \"\(format)\", expected \"\(PPOTrace.format)\"")
        }
        let version = try file.required("version", as: Int.self)
        guard version == PPOTrace.version else {
            throw FileError(path: "", reason: "version \(version) is not supported "
                + "(this build reads version \(PPOTrace.version))")
        }
        let config = try file.object("config")
        var settings = PPOConfig()
        for field in PPOConfig.fields { try field.decode(&settings, from: config) }
        let eosTokenID = try config.required("eos_token_id", as: Int.self)
        let padTokenID = try config.required("pad_token_id", as: Int.self)
        let klCoefUsed = try config.required("kl_coef_used", as: Double.self)
        let rollouts = try records(file, "rollouts", PPOTrace.RolloutRecord.fields, from: PPOTrace.RolloutRecord())
        let updates = try records(file, "updates", MinibatchRecord.fields, from: .empty)
        return PPOTrace(config: settings, eosTokenID: eosTokenID, padTokenID: padTokenID, klCoefUsed: klCoefUsed,
                        rollouts: rollouts, updates: updates,
                        metrics: try file.optional("metrics", as: [String: Double].self))
    }

    /// The array `key` of `file`, each item a record of `fields`.
    private static func records<Record>(_ file: JSONObjectReader, _ key: String, _ fields: [TraceField<Record>],
                                        from blank: Record) throws -> [Record] {
        try file.items(key).map { try TraceField.record($0.value, at: $0.path, fields, from: blank) }
    }
}
