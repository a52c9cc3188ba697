/// The parts of a path name, split on "/" by hand.
///
/// Foundation's `NSString.deletingLastPathComponent` traps (SIGILL) in Swift 6.3.1 on Linux for a
/// one-character name such as "x" or "x/", which `save x` reached; so the writers split path names here,
/// on the text alone (no file is looked at), with the meanings of POSIX `dirname` and `basename`.
public enum PathNames {
    private static let slash = UInt8(ascii: "/")

    /// The folder holding `path`: everything before its last component, without trailing slashes;
    /// "." for a name without a folder ("x", "x/", ""), "/" for a name at the root ("/x", "/").
    /// Split on the bytes of UTF-8, as the system does: a "/" followed by a combining mark, which Swift
    /// counts as one character with it, still separates two components.
    public static func folder(of path: String) -> String {
        let bytes = trimmingTrailingSlashes(path)
        guard let last = bytes.lastIndex(of: slash) else { return "." }
        var end = last
        while end > 0 && bytes[end - 1] == slash { end -= 1 }
        return end == 0 ? "/" : String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// The last component of `path`, without trailing slashes: "b" for "a/b/", "/" for "/", "" for "".
    public static func lastComponent(of path: String) -> String {
        let bytes = trimmingTrailingSlashes(path)
        guard let last = bytes.lastIndex(of: slash) else { return String(decoding: bytes, as: UTF8.self) }
        return bytes == [slash] ? "/" : String(decoding: bytes[(last + 1)...], as: UTF8.self)
    }

    /// `name` inside `folder` ("folder/name"; `name` alone when `folder` is "."; no doubled slash).
    public static func joining(_ folder: String, _ name: String) -> String {
        if folder == "." || folder.isEmpty { return name }
        return folder.utf8.last == slash ? folder + name : folder + "/" + name
    }

    /// The UTF-8 bytes of `path` without the slashes at its end, but "/" stays "/".
    private static func trimmingTrailingSlashes(_ path: String) -> [UInt8] {
        var bytes = Array(path.utf8)
        while bytes.count > 1 && bytes.last == slash { bytes.removeLast() }
        return bytes
    }
}
