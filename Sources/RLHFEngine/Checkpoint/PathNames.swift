/// The parts of a path name, split on "/" by hand.
///
/// Foundation's `NSString.deletingLastPathComponent` traps (SIGILL) in Swift 6.3.1 on Linux for a
/// one-character name such as "x" or "x/", which `save x` reached; so the writers split path names here,
/// on the text alone (no file is looked at), with the meanings of POSIX `dirname` and `basename`.
public enum PathNames {
    /// The folder holding `path`: everything before its last component, without trailing slashes;
    /// "." for a name without a folder ("x", "x/", ""), "/" for a name at the root ("/x", "/").
    public static func folder(of path: String) -> String {
        let components = Array(trimmingTrailingSlashes(path))
        guard let slash = components.lastIndex(of: "/") else { return "." }
        var end = slash
        while end > 0 && components[end - 1] == "/" { end -= 1 }
        return end == 0 ? "/" : String(components[..<end])
    }

    /// The last component of `path`, without trailing slashes: "b" for "a/b/", "/" for "/", "" for "".
    public static func lastComponent(of path: String) -> String {
        let trimmed = trimmingTrailingSlashes(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return trimmed == "/" ? "/" : String(trimmed[trimmed.index(after: slash)...])
    }

    /// `name` inside `folder` ("folder/name"; `name` alone when `folder` is "."; no doubled slash).
    public static func joining(_ folder: String, _ name: String) -> String {
        if folder == "." || folder.isEmpty { return name }
        return folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// `path` without the slashes at its end, but "/" stays "/".
    private static func trimmingTrailingSlashes(_ path: String) -> String {
        var result = Substring(path)
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return String(result)
    }
}
