/// Where the values of a parsed text start (`JSONParser.parseLocated`), for errors that name a line.
public struct JSONLocations: Sendable {
    /// The byte offset at which each value starts, by path (`""`, `model.layer_count`, `cases[2]`).
    public let offsets: [String: Int]
    /// The byte offset at which each line starts.
    let lineStarts: [Int]
    /// The text of each number that is not an integer, by path (`1e-05`), for readers that round it
    /// to a Float once: `Float(Double(text))` rounds twice, which lands one Float off for a decimal
    /// just past the midpoint of two Floats.
    public let numberTexts: [String: String]

    public init(offsets: [String: Int], lineStarts: [Int], numberTexts: [String: String] = [:]) {
        self.offsets = offsets
        self.lineStarts = lineStarts
        self.numberTexts = numberTexts
    }

    /// The 1-based line on which the value at `path` starts (line 1 for a path the text does not hold).
    public func line(of path: String) -> Int { line(ofOffset: offsets[path] ?? 0) }

    /// The 1-based line holding byte `offset`.
    public func line(ofOffset offset: Int) -> Int {
        var (low, high) = (0, lineStarts.count - 1)  // the last line starting at or before offset
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return low + 1
    }

    /// The offset at which each line starts (the first is 0).
    static func lineStarts(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int] {
        var starts = [0]
        for index in bytes.indices where endsLine(bytes, at: index) { starts.append(index + 1) }
        return starts
    }

    /// Whether the byte at `index` ends a line: LF, CR not followed by LF, or the LF of CR LF, so that
    /// LF, CR and CR LF each count as one line break (as `TextLines` splits a file).
    static func endsLine(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        switch bytes[index] {
        case 0x0A: true
        case 0x0D: index + 1 == bytes.count || bytes[index + 1] != 0x0A
        default: false
        }
    }
}
