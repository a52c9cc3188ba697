import Foundation
import RLHFStages

/// Curves against a shared x axis, in side-by-side panels' worth of data: drawn as text by
/// `render(unicode:)` (each panel a grid of characters, at most 100 columns wide) and as SVG by
/// `CurveSVG`. One chart, two drawings, so the terminal and the file show the same thing.
struct CurveChart: Equatable {
    /// One curve: measured points (drawn with the series' marker) or a fitted curve (a dotted line).
    struct Line: Equatable {
        let name: String
        /// Index of the series' marker and colour.
        let series: Int
        let points: [Point]
        let fitted: Bool
    }

    struct Point: Equatable {
        let x: Double
        let y: Double
    }

    struct Panel: Equatable {
        let title: String
        let lines: [Line]
    }

    let xLabel: String
    let panels: [Panel]
    /// The series' names, in marker order, for the legend.
    let legend: [String]

    static let unicodeMarkers = ["◆", "●", "▲", "■", "★", "✚", "♦", "▼"]
    static let asciiMarkers = ["B", "o", "x", "+", "#", "@", "%", "&"]

    /// The plotting area of a text panel, in characters.
    static let plotWidth = 72
    static let plotHeight = 14

    /// The largest x over every panel (the axis runs from 0 to it).
    var xMaximum: Double {
        let all = panels.flatMap(\.lines).filter { !$0.fitted }.flatMap(\.points).map(\.x).filter(\.isFinite)
        return max(all.max() ?? 1, 1e-9)
    }

    /// The y range of a panel: its measured points, widened a little when they are all equal.
    static func yRange(_ panel: Panel) -> (low: Double, high: Double) {
        let values = panel.lines.filter { !$0.fitted }.flatMap(\.points).map(\.y).filter(\.isFinite)
        let low = values.min() ?? 0
        let high = values.max() ?? 1
        return high - low < 1e-9 ? (low - 0.5, high + 0.5) : (low, high)
    }

    /// The chart as text: each panel as a grid with its y scale on the left and 0 .. max x below,
    /// then the legend. `unicode` false draws with ASCII only (NO_COLOR, scripts).
    func render(unicode: Bool) -> String {
        let markers = unicode ? Self.unicodeMarkers : Self.asciiMarkers
        let (dot, vertical, corner, horizontal) = unicode ? ("·", "│", "└", "─") : (".", "|", "+", "-")
        let width = Self.plotWidth
        let height = Self.plotHeight
        let xMax = xMaximum
        var lines: [String] = []
        for panel in panels {
            let (low, high) = Self.yRange(panel)
            var grid = [[String]](repeating: [String](repeating: " ", count: width), count: height)
            func cell(_ point: Point) -> (row: Int, column: Int)? {
                guard point.x.isFinite, point.y.isFinite, point.y >= low, point.y <= high, point.x <= xMax else {
                    return nil
                }
                let column = Int((point.x / xMax * Double(width - 1)).rounded())
                let row = Int(((high - point.y) / (high - low) * Double(height - 1)).rounded())
                return (row, column)
            }
            for line in panel.lines where line.fitted {
                for point in line.points { if let at = cell(point) { grid[at.row][at.column] = dot } }
            }
            for line in panel.lines where !line.fitted {
                for point in line.points {
                    if let at = cell(point) { grid[at.row][at.column] = markers[line.series % markers.count] }
                }
            }
            lines.append(panel.title)
            for (index, row) in grid.enumerated() {
                let label = index == 0 ? Format.signed(high, 2) : (index == height - 1 ? Format.signed(low, 2) : "")
                lines.append(Format.padLeft(label, 8) + " " + vertical + row.joined())
            }
            lines.append(String(repeating: " ", count: 9) + corner + String(repeating: horizontal, count: width))
            let right = Format.fixed(xMax, 2)
            lines.append(String(repeating: " ", count: 10) + Format.padRight("0", width - right.count) + right
                + "  " + xLabel)
        }
        let key = legend.enumerated().map { "\(markers[$0.offset % markers.count]) \($0.element)" }
            + ["\(dot)\(dot)\(dot) fit of the gold gain"]
        var legendLine = " "
        for entry in key {
            if legendLine.count + entry.count + 3 > 100 { lines.append(legendLine); legendLine = " " }
            legendLine += "  " + entry
        }
        lines.append(legendLine)
        return lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
            .joined(separator: "\n")
    }
}
