import Foundation
import RLHFEngine

/// Reading JSON Lines: one JSON object per line.
///
/// The whole file is read and checked before anything is returned, so a caller never
/// trains on part of a file. Blank lines are skipped; every other line must be an
/// object. Each record remembers its line number for later messages.
public struct JSONLinesRecord: Sendable {
    public let file: String
    public let line: Int
    public let fields: [String: JSONValue]

    /// Where this record came from, as `file:line`.
    public var location: String { "\(file):\(line)" }

    /// An error at this record.
    public func error(_ message: String) -> DataError {
        DataError(file: file, line: line, message: message)
    }

    /// The string field `name`.
    /// - Throws: `DataError` when it is missing or not a string.
    public func string(_ name: String) throws -> String {
        guard let value = fields[name] else {
            throw error("missing field \"\(name)\" (fields here: \(fields.keys.sorted().joined(separator: ", ")))")
        }
        guard case let .string(text) = value else {
            throw error("field \"\(name)\" should be a string, found \(value.typeName)")
        }
        return text
    }

    /// The integer field `name`: an integer, or a number with no fraction below 9e15 in size (`1.0`, as
    /// Python may write it), as the trace reader takes it (`Int(json:at:)`).
    /// - Throws: `DataError` when it is missing or not an integer; a fraction is shown (`found 1.5`).
    public func integer(_ name: String) throws -> Int {
        guard let value = fields[name] else { throw error("missing field \"\(name)\"") }
        if let number = value.exactInteger { return number }
        let found = if case .number = value { value.written } else { value.typeName }
        throw error("field \"\(name)\" should be an integer, found \(found)")
    }
}

public enum JSONLines {
    /// Every record of the file at `path`.
    /// - Throws: `DataError` for a missing or unreadable file, an empty file, or a line
    ///   that is not a JSON object.
    public static func read(path: String) throws -> [JSONLinesRecord] {
        let data: Data
        do {
            data = try SafeFile.read(path)  // a FIFO or a device is refused, never waited on
        } catch let error as FileError {
            throw DataError(file: path, line: nil, message: error.reason)
        }
        guard let text = UTF8Text.decode(data) else {
            throw DataError(file: path, line: nil, message: "cannot read the file as UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// `line` without white space at either end. A line whose first and last scalars are not
    /// white space (the usual `{...}`) is returned as it is, which is what trimming gives,
    /// without Foundation's slower trimming.
    static func trimmed(_ line: String) -> String {
        // The usual line: it starts and ends with a printable ASCII character (no white space).
        if let first = line.utf8.first, let last = line.utf8.last, (0x21...0x7E).contains(first),
           (0x21...0x7E).contains(last) {
            return line
        }
        let spaces = CharacterSet.whitespacesAndNewlines
        if let first = line.unicodeScalars.first, let last = line.unicodeScalars.last,
           !spaces.contains(first) && !spaces.contains(last) {
            return line
        }
        return line.trimmingCharacters(in: spaces)
    }

    /// Every record of `text`, named `file` in messages.
    public static func parse(_ text: String, file: String) throws -> [JSONLinesRecord] {
        var records: [JSONLinesRecord] = []
        for (index, line) in TextLines.split(text).enumerated() {
            let trimmed = trimmed(line)
            if trimmed.isEmpty { continue }
            let value: JSONValue
            do {
                // A field named twice is refused, as in a trace, rather than one of its values kept.
                value = try JSONParser.parse(trimmed, rejectingRepeatedFields: true)
            } catch let failure as JSONParser.Failure {
                let place = "\(failure.message) at column \(failure.column)"
                throw DataError(file: file, line: index + 1,
                                message: "not valid JSON (\(place)): \(abbreviated(trimmed))")
            }
            guard case let .object(fields) = value else {
                throw DataError(file: file, line: index + 1, message: "expected a JSON object, found \(value.typeName)")
            }
            records.append(JSONLinesRecord(file: file, line: index + 1, fields: fields))
        }
        if records.isEmpty { throw DataError(file: file, line: nil, message: "the file holds no records") }
        return records
    }

    /// Writes one JSON value per line to a temporary file renamed into place.
    public static func write(_ records: [JSONText], to path: String) throws {
        let text = records.map { line($0) + "\n" }.joined()
        try AtomicFile.write(Data(text.utf8), to: path)
    }

    /// One value as one line of JSON (no newline): the engine's `JSONText`, compact.
    public static func line(_ record: JSONText) -> String { record.rendered(compact: true) }

    private static func abbreviated(_ line: String) -> String {
        line.count > 60 ? String(line.prefix(57)) + "..." : line
    }
}

/// Writing a file so that it is either the old version or the whole new one, and appending a line so
/// that it is whole or absent (`SafeFile`), with `DataError`s.
public enum AtomicFile {
    /// Writes to a temporary file next to `path`, then renames it over `path`.
    /// - Throws: `DataError` naming the file and the reason; the file is then unchanged.
    public static func write(_ data: Data, to path: String) throws {
        try reportingDataErrors { try SafeFile.write(data, to: path) }
    }

    /// Appends one line of text to `path`, creating it if needed, in one write at its end
    /// (`SafeFile.appendLine`): a failure leaves the old lines and no part of the new one.
    /// - Throws: `DataError` naming the file when it cannot be written.
    public static func appendLine(_ line: String, to path: String) throws {
        try reportingDataErrors { try SafeFile.appendLine(line, to: path) }
    }

    /// Replaces the folder at `path` with one that `fill` writes into the staging folder it is given
    /// (`SafeFile.replaceFolder`): a failure leaves the old folder, or none, never a mixture.
    /// - Throws: `DataError` naming the folder when it may not be replaced or cannot be written.
    public static func replaceFolder(_ path: String, allowed: Set<String>, fill: (String) throws -> Void) throws {
        try reportingDataErrors { try SafeFile.replaceFolder(path, allowed: allowed, fill: fill) }
    }

    /// Refuses, before any work, a folder that `replaceFolder` would refuse (`SafeFile.requireReplaceable`).
    public static func requireReplaceableFolder(_ path: String, allowed: Set<String>) throws {
        try reportingDataErrors { try SafeFile.requireReplaceable(path, allowed: allowed) }
    }

    private static func reportingDataErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as FileError {
            throw DataError(file: error.path, line: nil, message: error.reason)
        }
    }
}
