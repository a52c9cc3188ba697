import Foundation

/// A JSON value written with a fixed layout: keys in the order given, numbers in their
/// shortest exact form, two-space indentation. The same value always gives the same
/// bytes, so saving a checkpoint or a trace twice gives identical files.
public indirect enum JSONText {
    case object([(String, JSONText)])
    case array([JSONText])
    case string(String)
    case integer(Int)
    /// Written as the shortest decimal that reads back as the same Float (`1e-05`, `0.02`).
    case float(Float)
    /// Written as the shortest decimal that reads back as the same Double (`0.1`, `-0.0`);
    /// JSON has no NaN or infinity, so those become the strings "NaN", "Infinity", "-Infinity".
    case double(Double)
    case bool(Bool)
    case null

    public static func doubles(_ values: [Double]) -> JSONText { .array(values.map(JSONText.double)) }
    public static func integers(_ values: [Int]) -> JSONText { .array(values.map(JSONText.integer)) }

    /// The text, on one line (`compact`) or indented by two spaces per level, as Python's
    /// `json.dumps(indent=2)` writes it; pretty text ends with a newline. With
    /// `inlineScalarArrays`, an array that holds no object or array stays on one line.
    public func rendered(compact: Bool = false, inlineScalarArrays: Bool = false) -> String {
        var output = ""
        write(into: &output, indent: compact ? nil : 0, inlineScalarArrays: inlineScalarArrays)
        if !compact { output += "\n" }
        return output
    }

    private func write(into output: inout String, indent: Int?, inlineScalarArrays: Bool) {
        switch self {
        case let .object(members):
            writeContainer(members.map { ($0.0, $0.1) }, open: "{", close: "}", into: &output, indent: indent,
                           inlineScalarArrays: inlineScalarArrays)
        case let .array(elements):
            if inlineScalarArrays, indent != nil, !elements.contains(where: \.isContainer) {
                output += "["
                for (index, element) in elements.enumerated() {
                    if index > 0 { output += ", " }
                    element.write(into: &output, indent: nil, inlineScalarArrays: true)
                }
                output += "]"
                return
            }
            writeContainer(elements.map { (nil, $0) }, open: "[", close: "]", into: &output, indent: indent,
                           inlineScalarArrays: inlineScalarArrays)
        case let .string(text):
            output += JSONText.quoted(text)
        case let .integer(value):
            output += String(value)
        case let .float(value):
            precondition(value.isFinite, "JSON cannot hold \(value)")
            output += "\(value)"
        case let .double(value):
            if value.isNaN { output += "\"NaN\"" } else if value.isInfinite {
                output += value > 0 ? "\"Infinity\"" : "\"-Infinity\""
            } else {
                output += value.description
            }
        case let .bool(value):
            output += value ? "true" : "false"
        case .null:
            output += "null"
        }
    }

    private var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }

    private func writeContainer(_ items: [(String?, JSONText)], open: String, close: String,
                                into output: inout String, indent: Int?, inlineScalarArrays: Bool) {
        output += open
        guard !items.isEmpty else { output += close; return }
        let inner = indent.map { $0 + 2 }
        for (index, (key, value)) in items.enumerated() {
            if index > 0 { output += "," }
            if let inner { output += "\n" + String(repeating: " ", count: inner) }
            if let key { output += JSONText.quoted(key) + (indent == nil ? ":" : ": ") }
            value.write(into: &output, indent: inner, inlineScalarArrays: inlineScalarArrays)
        }
        if let indent { output += "\n" + String(repeating: " ", count: indent) }
        output += close
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    public static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
