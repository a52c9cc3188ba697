/// Fixed-precision numbers, so every transcript prints the same characters.
public enum Format {
    /// `value` with `decimals` digits after the point; never "-0.000".
    public static func fixed(_ value: Double, _ decimals: Int = 3) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        var text = String(format: "%.\(decimals)f", value)
        if text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { text.removeFirst() }
        return text
    }

    /// Like `fixed`, with an explicit "+" on positive values.
    public static func signed(_ value: Double, _ decimals: Int = 3) -> String {
        let text = fixed(value, decimals)
        return text.hasPrefix("-") || text.allSatisfy({ $0 == "0" || $0 == "." }) ? text : "+" + text
    }

    /// `text` padded with spaces on the right to `width` characters.
    public static func padRight(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `text` padded with spaces on the left to `width` characters.
    public static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// A token as shown in tables: quoted specials stay readable (`<eos>` for the end token).
    public static func token(_ text: String) -> String {
        text == "<|endoftext|>" ? "<eos>" : text
    }

    /// Something the user typed, in quotes, cut to about 80 characters for a message.
    public static func quoted(_ text: String, limit: Int = 80) -> String {
        let shown = text.count > limit ? String(text.prefix(limit - 3)) + "..." : text
        return "\"" + shown + "\""
    }

    /// Prose cut at spaces into lines of at most `width` characters; each line after the first starts
    /// with the first line's indentation and two more spaces (a single long word stands alone).
    public static func wrapped(_ text: String, width: Int = 120) -> String {
        let indent = String(text.prefix { $0 == " " })
        // Runs of spaces are kept (empty words) except where a line breaks.
        let words = text.dropFirst(indent.count).split(separator: " ", omittingEmptySubsequences: false)
            .map(String.init)
        var lines: [String] = []
        var current = indent
        for word in words {
            let start = lines.isEmpty ? indent : indent + "  "
            if current == start {
                current = start + word
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(String(current.reversed().drop { $0 == " " }.reversed()))
                current = indent + "  " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\n")
    }
}
