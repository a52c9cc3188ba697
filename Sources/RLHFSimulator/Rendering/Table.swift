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

    /// The table as lines, each indented by `indent` spaces; columns two spaces apart.
    public func render(indent: Int = 2) -> String {
        let widths = columns.indices.map { column in
            max(Table.visibleWidth(columns[column].title), rows.map { Table.visibleWidth($0[column]) }.max() ?? 0)
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.indices.map { column -> String in
                // Pad by what the terminal shows: colour codes take no room.
                let padding = String(repeating: " ", count: max(0, widths[column] - Table.visibleWidth(cells[column])))
                return columns[column].alignment == .left ? cells[column] + padding : padding + cells[column]
            }
            let text = String(repeating: " ", count: indent) + padded.joined(separator: "  ")
            return String(text.reversed().drop(while: { $0 == " " }).reversed())
        }
        return ([line(columns.map(\.title))] + rows.map(line)).joined(separator: "\n")
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
