/// Unicode bars and sparklines.
public enum Bars {
    private static let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    private static let levels = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// A bar of `fraction` (0...1) of `width` cells, in eighths of a cell.
    public static func bar(_ fraction: Double, width: Int) -> String {
        let clamped = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        let eighthsTotal = Int((clamped * Double(width * 8)).rounded())
        return String(repeating: "█", count: eighthsTotal / 8) + eighths[eighthsTotal % 8]
    }

    /// A bar that grows left of a centre line for negative values and right for positive:
    /// `width` cells on each side, scaled so that `scale` fills a side.
    public static func diverging(_ value: Double, scale: Double, width: Int) -> String {
        let fraction = scale > 0 ? min(abs(value) / scale, 1) : 0
        let cells = Int((fraction * Double(width)).rounded())
        let filled = String(repeating: "█", count: cells)
        let empty = String(repeating: " ", count: width - cells)
        return value < 0 ? empty + filled + "│" + String(repeating: " ", count: width)
                         : String(repeating: " ", count: width) + "│" + filled + empty
    }

    /// One character per value, from ▁ (the smallest) to █ (the largest).
    public static func sparkline(_ values: [Double]) -> String {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return "" }
        return values.map { value in
            guard value.isFinite else { return " " }
            if high == low { return levels[3] }
            let index = Int(((value - low) / (high - low) * 7).rounded())
            return levels[index]
        }.joined()
    }

    /// A sparkline of at most `width` characters: long series are averaged in buckets.
    public static func sparkline(_ values: [Double], width: Int) -> String {
        guard values.count > width, width > 0 else { return sparkline(values) }
        let buckets = (0..<width).map { bucket -> Double in
            let start = bucket * values.count / width
            let end = max(start + 1, (bucket + 1) * values.count / width)
            let slice = values[start..<end]
            return slice.reduce(0, +) / Double(slice.count)
        }
        return sparkline(buckets)
    }
}
