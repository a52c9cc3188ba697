/// A plain-text table with aligned columns.
public struct Table {
    public enum Alignment { case left, right }

    public struct Column {
        public let title: String
        public let alignment: Alignment
        public init(_ title: String, _ alignment: Alignment = .right) {
            self.title = title
            self.alignment = alignment
        }
    }

    public let columns: [Column]
    public private(set) var rows: [[String]] = []

    public init(_ columns: [Column]) { self.columns = columns }

    public mutating func add(_ cells: [String]) {
        precondition(cells.count == columns.count, "table row has \(cells.count) cells for \(columns.count) columns")
        rows.append(cells)
    }

    /// The table as lines, each indented by `indent` spaces; columns two spaces apart. A table wider than
    /// `maxWidth` wraps its widest left-aligned column at spaces onto continuation lines (cells with colour
    /// codes are never cut), so that it fits a terminal of that many columns where it can.
    public func render(indent: Int = 2, maxWidth: Int = 120) -> String {
        var widths = columns.indices.map { column in
            max(Table.visibleWidth(columns[column].title), rows.map { Table.visibleWidth($0[column]) }.max() ?? 0)
        }
        let total = indent + widths.reduce(0, +) + 2 * max(0, widths.count - 1)
        var wrapped: Int?
        if total > maxWidth, let widest = columns.indices.filter({ columns[$0].alignment == .left })
            .max(by: { widths[$0] < widths[$1] }) {
            let room = max(12, widths[widest] - (total - maxWidth), Table.visibleWidth(columns[widest].title))
            if room < widths[widest] { wrapped = widest; widths[widest] = room }
        }
        func lines(_ cells: [String]) -> [String] {
            var pieces = cells.map { [$0] }
            if let wrapped, !cells[wrapped].contains("\u{1B}") {
                pieces[wrapped] = Table.wrap(cells[wrapped], width: widths[wrapped])
            }
            return (0..<(pieces.map(\.count).max() ?? 1)).map { row in
                let padded = cells.indices.map { column -> String in
                    let cell = row < pieces[column].count ? pieces[column][row] : ""
                    // Pad by what the terminal shows: colour codes take no room.
                    let padding = String(repeating: " ", count: max(0, widths[column] - Table.visibleWidth(cell)))
                    return columns[column].alignment == .left ? cell + padding : padding + cell
                }
                let text = String(repeating: " ", count: indent) + padded.joined(separator: "  ")
                return String(text.reversed().drop(while: { $0 == " " }).reversed())
            }
        }
        return ([columns.map(\.title)] + rows).flatMap(lines).joined(separator: "\n")
    }

    /// `text` cut at spaces into lines of at most `width` characters (a longer word stands alone).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        lines.append(current)
        return lines
    }

    /// The characters a terminal shows: ANSI escape sequences (ESC [ ... letter) count for nothing.
    public static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for character in text {
            if inEscape {
                if character.isLetter { inEscape = false }
            } else if character == "\u{1B}" {
                inEscape = true
            } else {
                width += 1
            }
        }
        return width
    }
}
