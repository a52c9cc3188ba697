/// Splitting text into lines as people write files: LF, CRLF (Windows) or a lone CR all end
/// a line, so a script or a JSONL file saved on any system reads the same.
public enum TextLines {
    /// The lines of `text`, without their line ends; a final line end adds no empty line.
    public static func split(_ text: String) -> [String] {
        // By bytes: LF and CR are never part of a larger Character (except CR LF, taken as one line end),
        // and no other UTF-8 sequence holds their bytes, so this is splitting by Characters, faster.
        var text = text
        return text.withUTF8 { bytes in
            var lines: [String] = []
            var (start, index) = (0, 0)
            func line() -> String {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            }
            while index < bytes.count {
                let byte = bytes[index]
                guard byte == 0x0A || byte == 0x0D else { index += 1; continue }
                lines.append(line())
                index += byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
                start = index
            }
            if start < bytes.count { lines.append(line()) }
            return lines
        }
    }
}
