import RLHFEngine

/// Padding variable-length token rows into one rectangular batch, and cutting a data
/// set into shuffled minibatches.
///
/// Rows are padded on the right. With causal attention a position never sees the
/// padding after it, so the real tokens' outputs are unchanged by it. The stages run
/// packed rows instead (`PackedRows`, `PredictingPositions`); padded batches are the
/// plain reference the tests compare those passes with.
public enum Batching {
    /// The rows padded with `padID` to the longest row's length.
    public static func padRight(_ rows: [[Int]], padID: Int) -> [[Int]] {
        let length = rows.map(\.count).max() ?? 0
        return rows.map { $0 + [Int](repeating: padID, count: length - $0.count) }
    }

    /// The indices 0..<count in a random order, cut into consecutive groups of `size`
    /// (the last may be shorter).
    public static func shuffledGroups(count: Int, size: Int, random: inout RandomGenerator) -> [[Int]] {
        let order = random.shuffled(Array(0..<count))
        return stride(from: 0, to: count, by: size).map { Array(order[$0..<min($0 + size, count)]) }
    }
}
