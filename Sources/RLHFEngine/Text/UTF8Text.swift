import Foundation

/// Bytes read as UTF-8 text, checked by the standard library rather than bridged through Foundation.
public enum UTF8Text {
    /// `data` as text, or nil when it is not valid UTF-8. A leading byte-order mark is not part of the text.
    public static func decode(_ data: Data) -> String? {
        let bytes = data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data[...]
        #if canImport(Darwin)
        guard #available(macOS 15, *) else { return String(data: Data(bytes), encoding: .utf8) }
        #endif
        return bytes.withUnsafeBytes { raw in String(validating: raw, as: UTF8.self) }
    }
}
