import RLHFEngine

/// One recorded quantity of a PPO trace, declared once: its name in the file (TRL's where TRL has one),
/// where it lives in the record, how it is written and read back, and which array lengths it must agree
/// with. `PPOTrace.RolloutRecord.fields` and `MinibatchRecord.fields` list them in the file's order; the
/// writer, the reader and the length checks of `PPOTraceExport` derive from those lists.
struct TraceField<Record>: Sendable {
    /// How the quantity's length is checked.
    enum Shape: Sendable {
        /// A single value, or an array whose length nothing else fixes.
        case free
        /// One entry per response token.
        case perToken
        /// One row per rollout of the minibatch, each with one entry per response token of that rollout.
        case rowsPerRollout
    }

    let name: String
    let shape: Shape
    /// The value in the file, or nil when the record has none (the key is left out).
    let json: @Sendable (Record) -> JSONText?
    /// The per-token arrays, for the length checks (nil when absent or not per token).
    let arrays: @Sendable (Record) -> [[Double]]?
    let decode: @Sendable (inout Record, JSONObjectReader) throws -> Void

    /// A quantity every record has.
    static func required<Value: JSONReadable>(_ name: String, _ path: WritableKeyPath<Record, Value> & Sendable,
                                           _ json: @escaping @Sendable (Value) -> JSONText,
                                           shape: Shape = .free) -> TraceField {
        TraceField(name: name, shape: shape, json: { json($0[keyPath: path]) },
                   arrays: { arrays($0[keyPath: path]) }) { record, object in
            record[keyPath: path] = try object.required(name, as: Value.self)
        }
    }

    /// A quantity some records have: left out of the file when nil, nil when absent from it.
    static func optional<Value: JSONReadable>(_ name: String, _ path: WritableKeyPath<Record, Value?> & Sendable,
                                           _ json: @escaping @Sendable (Value) -> JSONText,
                                           shape: Shape = .free) -> TraceField {
        TraceField(name: name, shape: shape, json: { $0[keyPath: path].map(json) },
                   arrays: { $0[keyPath: path].flatMap(arrays) }) { record, object in
            record[keyPath: path] = try object.optional(name, as: Value.self)
        }
    }

    /// A quantity always written, that files written before it existed lack: absent keeps the record's value.
    static func defaulted<Value: JSONReadable>(_ name: String, _ path: WritableKeyPath<Record, Value> & Sendable,
                                            _ json: @escaping @Sendable (Value) -> JSONText) -> TraceField {
        TraceField(name: name, shape: .free, json: { json($0[keyPath: path]) }, arrays: { _ in nil }) { record, file in
            if let value = try file.optional(name, as: Value.self) { record[keyPath: path] = value }
        }
    }

    /// One number per response token.
    static func perToken(_ name: String, _ path: WritableKeyPath<Record, [Double]> & Sendable) -> TraceField {
        required(name, path, JSONText.doubles, shape: .perToken)
    }

    /// One row per rollout of the minibatch, one number per token of it.
    static func rows(_ name: String, _ path: WritableKeyPath<Record, [[Double]]> & Sendable) -> TraceField {
        required(name, path, { .array($0.map(JSONText.doubles)) }, shape: .rowsPerRollout)
    }

    private static func arrays<Value>(_ value: Value) -> [[Double]]? {
        if let array = value as? [Double] { return [array] }
        return value as? [[Double]]
    }

    /// The record as a JSON object, keys in the order of `fields`.
    static func object(_ record: Record, _ fields: [TraceField]) -> JSONText {
        .object(fields.compactMap { field in field.json(record).map { (field.name, $0) } })
    }

    /// A record read from the JSON object `value` at `path`, starting from `blank`.
    static func record(_ value: JSONValue, at path: String, _ fields: [TraceField],
                       from blank: Record) throws -> Record {
        let object = try JSONObjectReader(value, at: path)
        var record = blank
        for field in fields { try field.decode(&record, object) }
        return record
    }
}
