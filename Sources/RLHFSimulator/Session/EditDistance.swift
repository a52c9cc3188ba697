/// Edit distance with adjacent transpositions (optimal string alignment), for "did you mean":
/// "stpe" is one edit from "step".
enum EditDistance {
    /// Names longer than this get no suggestion: nothing is that far from a short name, and
    /// the search would cost the product of the lengths.
    static let longestQuery = 40

    /// The candidate nearest to `query` (ties: the first in alphabetical order), if within
    /// `maximum` edits.
    static func nearest(to query: String, among candidates: [String], maximum: Int) -> String? {
        guard query.count <= longestQuery else { return nil }
        let ranked = candidates.map { ($0, between($0, query)) }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        guard let best = ranked.first, best.1 <= maximum else { return nil }
        return best.0
    }

    static func between(_ a: String, _ b: String) -> Int {
        let (x, y) = (Array(a), Array(b))
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }
}
