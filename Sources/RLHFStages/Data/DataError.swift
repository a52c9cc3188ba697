/// A problem in a data file: which file, which line, what is wrong.
public struct DataError: Error, Equatable, CustomStringConvertible, Sendable {
    public let file: String
    /// 1-based line number; nil for a problem with the whole file.
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// FILE:LINE: message, or FILE: message; an empty file name shows as "".
    public var description: String {
        let shown = file.isEmpty ? "\"\"" : file
        if let line { return "\(shown):\(line): \(message)" }
        return "\(shown): \(message)"
    }
}
