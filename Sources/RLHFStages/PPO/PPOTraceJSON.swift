import Foundation
import RLHFEngine

// MARK: - A small JSON writer with a fixed key order

/// A JSON value whose object keys keep the order they were given in.
enum TraceJSON {
    case object([(String, TraceJSON)])
    case array([TraceJSON])
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case string(String)
    case null

    static func numbers(_ values: [Double]) -> TraceJSON { .array(values.map(TraceJSON.number)) }
    static func integers(_ values: [Int]) -> TraceJSON { .array(values.map(TraceJSON.integer)) }

    /// A Double as JSON: Swift's shortest digits that read back to the same Double
    /// ("0.1", "1e-08", "-0.0"); non-finite values as strings.
    static func numberText(_ value: Double) -> String {
        if value.isNaN { return "\"NaN\"" }
        if value.isInfinite { return value > 0 ? "\"Infinity\"" : "\"-Infinity\"" }
        return value.description
    }

    static func stringText(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    private var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }

    /// Objects one key per line; arrays of scalars on one line; arrays of containers one per line.
    static func render(_ value: TraceJSON, indent: Int, into text: inout String) {
        let inner = String(repeating: "  ", count: indent + 1)
        let outer = String(repeating: "  ", count: indent)
        switch value {
        case let .object(entries):
            if entries.isEmpty { text += "{}"; return }
            text += "{\n"
            for (index, (key, item)) in entries.enumerated() {
                text += inner + stringText(key) + ": "
                render(item, indent: indent + 1, into: &text)
                text += index + 1 < entries.count ? ",\n" : "\n"
            }
            text += outer + "}"
        case let .array(items):
            if items.isEmpty { text += "[]"; return }
            if !items.contains(where: \.isContainer) {
                text += "["
                for (index, item) in items.enumerated() {
                    if index > 0 { text += ", " }
                    render(item, indent: indent + 1, into: &text)
                }
                text += "]"
                return
            }
            text += "[\n"
            for (index, item) in items.enumerated() {
                text += inner
                render(item, indent: indent + 1, into: &text)
                text += index + 1 < items.count ? ",\n" : "\n"
            }
            text += outer + "]"
        case let .number(number): text += numberText(number)
        case let .integer(number): text += String(number)
        case let .bool(flag): text += flag ? "true" : "false"
        case let .string(string): text += stringText(string)
        case .null: text += "null"
        }
    }
}
