import Foundation

/// Bytes read as UTF-8 text, checked by the standard library rather than bridged through Foundation.
public enum UTF8Text {
    /// `data` as text, or nil when it is not valid UTF-8. Data starting with a byte-order mark goes
    /// through Foundation's `String(data:encoding:)`, so that such a file reads as it always did.
    public static func decode(_ data: Data) -> String? {
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { return String(data: data, encoding: .utf8) }
        return data.withUnsafeBytes { raw in String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) }
    }
}
