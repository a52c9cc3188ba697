import Testing
import RLHFSimulator

@Suite("Tables and prose fit 120 columns")
struct TableWrapTests {
    @Test("a table wider than 120 columns wraps its widest text column at spaces and keeps every word")
    func wideTableWraps() {
        var table = Table([.init("#"), .init("prompt", .left), .init("response", .left), .init("score")])
        let response = Array(repeating: "enjoy the sun and the beach", count: 5).joined(separator: " ")
        table.add(["0", "create a description for plantation palms.", response, "+2.85"])
        table.add(["1", "describe pine lake.", "short.", "-1.00"])
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.count <= 120 }, "widths \(lines.map(\.count))")
        #expect(lines.count > 3)
        let responseStart = lines[0].range(of: "response")!.lowerBound.utf16Offset(in: lines[0])
        let words = lines.dropFirst().filter { !$0.contains("describe pine lake") }.map { line -> String in
            let start = line.index(line.startIndex, offsetBy: min(responseStart, line.count))
            return String(line[start...]).replacingOccurrences(of: "+2.85", with: "")
        }.joined(separator: " ").split(separator: " ").joined(separator: " ")
        #expect(words == response)
        #expect(lines[1].hasSuffix("+2.85"))
    }

    @Test("a narrow table is drawn as it was, one line a row")
    func narrowTableUnchanged() {
        var table = Table([.init("#"), .init("response", .left)])
        table.add(["0", "enjoy the sun."])
        #expect(table.render() == "  #  response\n  0  enjoy the sun.")
    }

    @Test("prose wraps at spaces with a hanging indent, and keeps double spaces inside a line")
    func proseWraps() {
        let text = "  step 0: loss +0.1  " + Array(repeating: "clip_ratio/low_mean 0.0000", count: 6).joined(separator: "  ")
        let lines = Format.wrapped(text).split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.count <= 120 })
        #expect(lines[0].hasPrefix("  step 0: loss +0.1  clip_ratio"))
        #expect(lines[1].hasPrefix("    clip_ratio/low_mean"))
        #expect(Format.wrapped("short line") == "short line")
    }
}
