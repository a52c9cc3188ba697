/// Splitting text into lines as people write files: LF, CRLF (Windows) or a lone CR all end
/// a line, so a script or a JSONL file saved on any system reads the same.
public enum TextLines {
    /// The lines of `text`, without their line ends; a final line end adds no empty line.
    public static func split(_ text: String) -> [String] {
        // "\r\n" is one Character in Swift, so it is matched as a whole.
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
            .map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
