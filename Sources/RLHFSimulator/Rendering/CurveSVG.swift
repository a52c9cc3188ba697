import Foundation

/// A `CurveChart` as an SVG document, written by hand so that the same chart always gives the
/// same bytes: panels side by side, coordinates with two decimals, attributes in a fixed order.
enum CurveSVG {
    static let panelWidth = 420.0
    static let panelHeight = 280.0
    static let margin = (left: 64.0, top: 36.0, gap: 84.0, bottom: 56.0)
    /// One colour per series (the text chart's markers, in order).
    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    static func document(_ chart: CurveChart) -> String {
        let count = Double(chart.panels.count)
        let width = margin.left + count * panelWidth + (count - 1) * margin.gap + 24
        let height = margin.top + panelHeight + margin.bottom + 20 * Double(chart.legend.count + 1)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"white\"/>\n"
        let xMax = chart.xMaximum
        for (index, panel) in chart.panels.enumerated() {
            let left = margin.left + Double(index) * (panelWidth + margin.gap)
            let top = margin.top
            let (low, high) = CurveChart.yRange(panel)
            func x(_ value: Double) -> Double { left + value / xMax * panelWidth }
            func y(_ value: Double) -> Double { top + (high - value) / (high - low) * panelHeight }
            out += "<text x=\"\(n(left))\" y=\"\(n(top - 12))\" font-weight=\"bold\">\(escaped(panel.title))</text>\n"
            out += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(panelWidth))\" height=\"\(n(panelHeight))\" "
                + "fill=\"none\" stroke=\"black\"/>\n"
            for (value, anchor) in [(high, top + 4), (low, top + panelHeight)] {
                out += "<text x=\"\(n(left - 6))\" y=\"\(n(anchor))\" text-anchor=\"end\">"
                    + "\(Format.signed(value, 2))</text>\n"
            }
            out += "<text x=\"\(n(left))\" y=\"\(n(top + panelHeight + 16))\">0</text>\n"
            out += "<text x=\"\(n(left + panelWidth))\" y=\"\(n(top + panelHeight + 16))\" text-anchor=\"end\">"
                + "\(Format.fixed(xMax, 2))</text>\n"
            out += "<text x=\"\(n(left + panelWidth / 2))\" y=\"\(n(top + panelHeight + 34))\" text-anchor=\"middle\">"
                + "\(escaped(chart.xLabel))</text>\n"
            for line in panel.lines {
                let colour = colours[line.series % colours.count]
                let inside = line.points.filter { $0.x.isFinite && $0.y.isFinite && $0.y >= low && $0.y <= high }
                guard !inside.isEmpty else { continue }
                let path = inside.map { "\(n(x($0.x))),\(n(y($0.y)))" }.joined(separator: " ")
                out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\""
                    + (line.fitted ? "1\" stroke-dasharray=\"4 3\"/>\n" : "1.5\"/>\n")
                if !line.fitted {
                    for point in inside {
                        out += "<circle cx=\"\(n(x(point.x)))\" cy=\"\(n(y(point.y)))\" r=\"3\" fill=\"\(colour)\"/>\n"
                    }
                }
            }
        }
        for (index, name) in (chart.legend + ["dashed: fit of the gold gain (Gao et al.)"]).enumerated() {
            let top = margin.top + panelHeight + margin.bottom + 20 * Double(index)
            if index < chart.legend.count {
                out += "<circle cx=\"\(n(margin.left + 4))\" cy=\"\(n(top - 4))\" r=\"4\" "
                    + "fill=\"\(colours[index % colours.count])\"/>\n"
            }
            out += "<text x=\"\(n(margin.left + 14))\" y=\"\(n(top))\">\(escaped(name))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// A coordinate with two decimals.
    private static func n(_ value: Double) -> String { Format.fixed(value, 2) }

    /// Text with XML's special characters escaped.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
