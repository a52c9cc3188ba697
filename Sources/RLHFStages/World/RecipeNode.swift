import RLHFEngine

/// One value of a recipe file with where it stands, for errors that name FILE:LINE.
///
/// Every read states what it expects: `node.int("steps", in: 1...100_000)` fails with
/// `recipe.json:12: pretraining.steps: 0 is out of range 1...100000`, `node.fields(known:)`
/// rejects an unknown key on its own line, a missing key is reported at its object's line.
public struct RecipeNode {
    public let value: JSONValue
    /// Where the value sits in the file: `model.layer_count`, `text.cases[2]`; "" for the whole.
    public let path: String
    let document: Document

    /// The parsed file: its name and where each value starts.
    struct Document {
        let file: String
        let locations: JSONLocations
    }

    /// The whole of `text`, read from `file`.
    /// - Throws: `DataError` at the line where the text stops being JSON.
    public static func root(_ text: String, file: String) throws -> RecipeNode {
        do {
            let (value, locations) = try JSONParser.parseLocated(text)
            return RecipeNode(value: value, path: "", document: Document(file: file, locations: locations))
        } catch let failure as JSONParser.Failure {
            throw DataError(file: file, line: failure.line, message: "not JSON: \(failure.message)")
        }
    }

    /// The 1-based line the value starts on.
    public var line: Int { document.locations.line(of: path) }

    /// An error about this value, at its line.
    public func error(_ message: String) -> DataError {
        DataError(file: document.file, line: line, message: path.isEmpty ? message : "\(path): \(message)")
    }

    private func child(_ key: String, _ value: JSONValue) -> RecipeNode {
        RecipeNode(value: value, path: path.isEmpty ? key : path + "." + key, document: document)
    }

    private func expected(_ what: String) -> DataError { error("expected \(what), found \(value.typeName)") }

    /// The object's fields, each checked against `known`.
    public func fields(known: [String]) throws -> [String: JSONValue] {
        guard case .object(let fields) = value else { throw expected("an object") }
        for key in fields.keys.sorted() where !known.contains(key) {
            throw child(key, fields[key]!).error("unknown key (known here: \(known.joined(separator: ", ")))")
        }
        return fields
    }

    /// The field `key`, which must be there.
    public func required(_ key: String) throws -> RecipeNode {
        guard case .object(let fields) = value else { throw expected("an object") }
        guard let field = fields[key] else { throw error("missing key \"\(key)\"") }
        return child(key, field)
    }

    /// The field `key`, or nil when it is absent.
    public func optional(_ key: String) throws -> RecipeNode? {
        guard case .object(let fields) = value else { throw expected("an object") }
        return fields[key].map { child(key, $0) }
    }

    /// The array's items.
    public func items(count range: ClosedRange<Int> = 0...100_000) throws -> [RecipeNode] {
        guard case .array(let items) = value else { throw expected("an array") }
        guard range.contains(items.count) else { throw error("\(items.count) items, out of range \(range)") }
        return items.enumerated().map { RecipeNode(value: $1, path: path + "[\($0)]", document: document) }
    }

    public func string() throws -> String {
        guard case .string(let text) = value else { throw expected("a string") }
        return text
    }

    public func strings(count range: ClosedRange<Int> = 0...100_000) throws -> [String] {
        try items(count: range).map { try $0.string() }
    }

    public func int(in range: ClosedRange<Int>) throws -> Int {
        guard case .integer(let number) = value else { throw expected("an integer") }
        guard range.contains(number) else { throw error("\(number) is out of range \(range)") }
        return number
    }

    /// A number; an integer is read as one too.
    public func double(in range: ClosedRange<Double>) throws -> Double {
        let number: Double
        switch value {
        case .number(let x): number = x
        case .integer(let n): number = Double(n)
        default: throw expected("a number")
        }
        guard range.contains(number) else {
            throw error("\(number) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    /// A number in `range` as the Float nearest its decimal text (`Float(text)`, rounded once: rounding
    /// the Double rounds twice, one Float off for a decimal just past the midpoint of two Floats).
    public func float(in range: ClosedRange<Double>) throws -> Float {
        let number = try double(in: range)
        return document.locations.numberTexts[path].flatMap { Float($0) } ?? Float(number)
    }

    /// One of `choices`.
    public func choice(_ choices: [String]) throws -> String {
        let text = try string()
        guard choices.contains(text) else {
            throw error("\"\(text)\" is not one of \(choices.joined(separator: ", "))")
        }
        return text
    }

    // Shorthands for a field of this object.
    public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int { try required(key).int(in: range) }
    public func double(_ key: String, in range: ClosedRange<Double>) throws -> Double {
        try required(key).double(in: range)
    }
    public func float(_ key: String, in range: ClosedRange<Double>) throws -> Float {
        try required(key).float(in: range)
    }
    public func string(_ key: String) throws -> String { try required(key).string() }
}
