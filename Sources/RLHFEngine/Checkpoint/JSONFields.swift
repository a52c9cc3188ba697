import Foundation

/// An object of a checkpoint's JSON file (config.json, tokenizer.json, a safetensors header), read with
/// `JSONParser`, with typed accessors whose errors name the file, the line (`config.json:7`) and the field.
struct JSONFields {
    let file: String
    let values: [String: JSONValue]
    /// Where this object sits in the file (`model` for tokenizer.json's model); "" for the whole.
    let path: String
    let locations: JSONLocations

    /// Parses `data` (the contents of `file`) as a JSON object.
    /// - Throws: `CheckpointError.malformed` naming the line and column where the text stops being JSON.
    init(parsing data: Data, file: String) throws {
        guard let text = UTF8Text.decode(data) else {
            throw CheckpointError.malformed(file: file, detail: "not valid JSON (not UTF-8 text)")
        }
        let parsed: (value: JSONValue, locations: JSONLocations)
        do {
            parsed = try JSONParser.parseLocated(text)
        } catch let failure as JSONParser.Failure {
            let problem = text.allSatisfy(\.isWhitespace) ? "the file is empty" : failure.description
            throw CheckpointError.malformed(file: file, detail: "not valid JSON (\(problem))")
        }
        guard case let .object(object) = parsed.value else {
            throw CheckpointError.malformed(file: file, detail: "expected a JSON object at the top level")
        }
        self.init(file: file, values: object, path: "", locations: parsed.locations)
    }

    init(file: String, values: [String: JSONValue], path: String, locations: JSONLocations) {
        self.file = file
        self.values = values
        self.path = path
        self.locations = locations
    }

    func has(_ field: String) -> Bool { values[field] != nil && values[field] != .null }

    /// The path of `field` in the file (`model.vocab`), as `JSONLocations` names it.
    private func fieldPath(_ field: String) -> String { path.isEmpty ? field : path + "." + field }

    /// The file and the line of `field` (of this object when it is absent), as `config.json:7`.
    func place(of field: String) -> String {
        let line = locations.offsets[fieldPath(field)].map(locations.line(ofOffset:)) ?? locations.line(of: path)
        return "\(file):\(line)"
    }

    /// A field that holds something other than what it should.
    func invalid(_ field: String, _ detail: String) -> CheckpointError {
        .invalidField(file: place(of: field), field: field, detail: detail)
    }

    private func required(_ field: String) throws -> JSONValue {
        guard let value = values[field], value != .null else {
            throw CheckpointError.missingField(file: place(of: field), field: field)
        }
        return value
    }

    func int(_ field: String) throws -> Int {
        let value = try required(field)
        guard let number = value.exactInteger else {
            throw invalid(field, "expected an integer, found \(JSONFields.written(value))")
        }
        return number
    }

    /// A number as the Float nearest its decimal text, rounded once (`Float(text)`); rounding the Double
    /// the text reads as rounds twice, one Float off for a decimal just past the midpoint of two Floats.
    func float(_ field: String) throws -> Float {
        let value = try required(field)
        let float: Float
        switch value {
        case .integer(let number): float = Float(number)
        case .number(let number):
            let text = locations.numberTexts[fieldPath(field)]
            float = text.flatMap { Float($0) } ?? Float(number)
        default: throw invalid(field, "expected a number, found \(JSONFields.written(value))")
        }
        guard float.isFinite else {
            throw invalid(field, "\(JSONFields.written(value)) is not a finite 32-bit float")
        }
        return float
    }

    func string(_ field: String) throws -> String {
        let value = try required(field)
        guard case let .string(text) = value else {
            throw invalid(field, "expected a string, found \(JSONFields.written(value))")
        }
        return text
    }

    func object(_ field: String) throws -> JSONFields {
        let value = try required(field)
        guard case let .object(object) = value else {
            throw invalid(field, "expected an object, found \(JSONFields.written(value))")
        }
        return JSONFields(file: file, values: object, path: fieldPath(field),
                          locations: locations)
    }

    func array(_ field: String) throws -> [JSONValue] {
        let value = try required(field)
        guard case let .array(array) = value else {
            throw invalid(field, "expected an array, found \(JSONFields.written(value))")
        }
        return array
    }

    /// A parsed value as JSON text (`"48"` for a string, `true`, `[1,2]`), cut to 80 characters,
    /// for messages that show what the file holds.
    static func written(_ value: JSONValue) -> String {
        let text = value.written
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    static func written(_ values: [JSONValue]) -> String { written(.array(values)) }
}
