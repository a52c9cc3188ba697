import Foundation

/// Writing files and folders so that a failure or a kill at any point leaves either the
/// old contents or all of the new ones, never a mixture. Every writer goes through here.
///
/// - A file is written whole to a temporary sibling `.NAME.writing`, flushed, and renamed
///   over `NAME`; its folder is then flushed so the rename survives a crash.
/// - A folder is filled as a staging sibling `.NAME.saving`, then swapped in by two renames:
///   `NAME` -> `.NAME.previous`, `.NAME.saving` -> `NAME`; the previous copy is removed last.
///   A failure puts the old folder back; after a kill between the two renames `NAME` is
///   missing, and `missingFolderNote` says where the old copy is; the next replacement clears
///   what a killed one left. Failures after the swap (flushing, removing the old copy) only
///   leave `.NAME.previous` for the next replacement to remove: the new folder stands.
/// - A line is appended in one write at the end of the file (O_APPEND), flushed; a write that fails
///   part-way is cut back, so a reader sees the old lines, or those and the whole new one.
/// - Only regular files and folders are written or read: a device, FIFO or socket is refused
///   before anything is opened, so nothing blocks and nothing is written there.
/// - A symbolic link is followed: writing through it replaces its target, and the link stays.
public enum SafeFile {
    /// Writes `data` to `path` (a regular file, or a name not yet taken).
    /// - Throws: `FileError` naming the path and the reason; `path` is then unchanged.
    public static func write(_ data: Data, to path: String, fileSystem: any FileSystem = SystemFileSystem()) throws {
        try replace(path, fileSystem: fileSystem) { temporary in
            try fileSystem.writeNewFile(data, to: temporary, permissions: fileSystem.permissions(of: path) ?? 0o644)
        }
    }

    /// Appends `line` and a newline to `path` (a regular file, or a name not yet taken, then created):
    /// one write at the end, so n lines cost n lines, not n copies of the file.
    /// - Throws: `FileError` naming the path and the reason; `path` then holds its old lines.
    public static func appendLine(_ line: String, to path: String,
                                  fileSystem: any FileSystem = SystemFileSystem()) throws {
        let target = resolvingLinks(path, fileSystem: fileSystem)
        try requireWritable(target, shown: path, fileSystem: fileSystem)
        try fileSystem.appendLines(Data((line + "\n").utf8), to: target,
                                   permissions: fileSystem.permissions(of: target) ?? 0o644)
    }

    /// Replaces the file at `path` with what `fill` writes to the temporary path it is given
    /// (for writers that only know how to write a whole file, such as a line editor's history).
    public static func replace(_ path: String, fileSystem: any FileSystem = SystemFileSystem(),
                               fill: (String) throws -> Void) throws {
        let target = resolvingLinks(path, fileSystem: fileSystem)
        try requireWritable(target, shown: path, fileSystem: fileSystem)
        let temporary = sibling(of: target, suffix: "writing")
        if fileSystem.kind(of: temporary) != .missing { try fileSystem.removeTree(temporary) }
        do {
            try fill(temporary)
            try fileSystem.rename(temporary, to: target)
        } catch {
            try? fileSystem.removeTree(temporary)
            throw error
        }
        // The new file is in place; flushing the folder only makes the rename durable sooner.
        try? fileSystem.syncFolder(folder(of: target))
    }

    /// The contents of the regular file at `path`.
    /// - Throws: `FileError` for a missing file ("no such file"), a folder or a special file.
    public static func read(_ path: String, fileSystem: any FileSystem = SystemFileSystem()) throws -> Data {
        guard let data = try readIfPresent(path, fileSystem: fileSystem) else {
            throw FileError(path: path, reason: "no such file")
        }
        return data
    }

    /// The contents of the regular file at `path`, or nil when nothing is there.
    /// - Throws: `FileError` for a folder, a special file, or a file that cannot be read.
    public static func readIfPresent(_ path: String, fileSystem: any FileSystem = SystemFileSystem()) throws -> Data? {
        switch fileSystem.kind(of: path) {
        case .missing: return nil
        case .folder: throw FileError(path: path, reason: "is a folder, not a file")
        case let .special(what): throw FileError(path: path, reason: "is \(what), not a regular file")
        case .regularFile: return try fileSystem.readFile(path)
        }
    }

    /// Replaces the folder at `path` with one that `fill` writes into the staging folder it is
    /// given. An existing folder is replaced only if it holds nothing but names in `allowed`,
    /// so that a folder of other files is never swept away.
    public static func replaceFolder(_ path: String, allowed: Set<String>,
                                     fileSystem: any FileSystem = SystemFileSystem(),
                                     fill: (String) throws -> Void) throws {
        let target = try requireReplaceable(path, allowed: allowed, fileSystem: fileSystem)
        let parent = folder(of: target)
        let staging = sibling(of: target, suffix: "saving")
        let previous = sibling(of: target, suffix: "previous")
        if fileSystem.kind(of: staging) != .missing { try fileSystem.removeTree(staging) }
        do {
            try fileSystem.createFolder(staging)
            try fill(staging)
            try fileSystem.syncFolder(staging)
        } catch {
            try? fileSystem.removeTree(staging)
            throw error
        }
        let replacing = fileSystem.kind(of: target) == .folder
        do {
            // A `.previous` beside an existing folder is older than it: a killed swap's leftover.
            if replacing && fileSystem.kind(of: previous) != .missing { try fileSystem.removeTree(previous) }
            if replacing { try fileSystem.rename(target, to: previous) }
        } catch {
            try? fileSystem.removeTree(staging)
            throw error
        }
        do {
            try fileSystem.rename(staging, to: target)
        } catch {
            if replacing { try? fileSystem.rename(previous, to: target) }
            try? fileSystem.removeTree(staging)
            throw error
        }
        // The new folder is in place: what follows only tidies up, and the next save retries it.
        try? fileSystem.syncFolder(parent)
        if fileSystem.kind(of: previous) != .missing { try? fileSystem.removeTree(previous) }
    }

    /// Checks that `replaceFolder` may write `path` (a new name in a folder that exists, or a folder holding
    /// nothing but names in `allowed`), so that a caller can refuse it before the work that fills it.
    /// - Returns: the path with links at its end followed, which `replaceFolder` replaces.
    /// - Throws: `FileError` naming the path and the reason.
    @discardableResult
    public static func requireReplaceable(_ path: String, allowed: Set<String>,
                                          fileSystem: any FileSystem = SystemFileSystem()) throws -> String {
        let target = resolvingLinks(trimmed(path), fileSystem: fileSystem)
        let name = PathNames.lastComponent(of: target)
        guard !name.isEmpty, name != ".", name != "..", name != "/" else {
            throw FileError(path: path, reason: "name a folder to create or replace, not \"\(path)\"")
        }
        let parent = folder(of: target)
        guard fileSystem.kind(of: parent) == .folder else {
            throw FileError(path: path, reason: "its parent folder \(parent) does not exist")
        }
        switch fileSystem.kind(of: target) {
        case .missing: break
        case .folder:
            let others = try fileSystem.entries(ofFolder: target).filter { !allowed.contains($0) }
            guard others.isEmpty else {
                throw FileError(path: path, reason: "holds other files (\(others.prefix(3).joined(separator: ", "))); "
                    + "name a new or empty folder")
            }
        case .regularFile: throw FileError(path: path, reason: "is a file, not a folder")
        case let .special(what): throw FileError(path: path, reason: "is \(what), not a folder")
        }
        return target
    }

    /// For a folder that is missing: where an interrupted `replaceFolder` left its copies, or nil.
    public static func missingFolderNote(_ path: String, fileSystem: any FileSystem = SystemFileSystem()) -> String? {
        let target = resolvingLinks(trimmed(path), fileSystem: fileSystem)
        guard fileSystem.kind(of: target) == .missing else { return nil }
        let previous = sibling(of: target, suffix: "previous")
        guard fileSystem.kind(of: previous) == .folder else { return nil }
        return "an interrupted save left the previous copy in \(previous); renaming it back to \(path) "
            + "restores that save, and saving again replaces it"
    }

    /// Refuses, before anything is written, a path that `write` and `appendLine` would refuse: an empty name, a
    /// folder, a special file, or a file in a folder that does not exist. Nothing is created.
    /// - Throws: `FileError` naming the path and the reason.
    public static func requireWritableFile(_ path: String, fileSystem: any FileSystem = SystemFileSystem()) throws {
        try requireWritable(resolvingLinks(path, fileSystem: fileSystem), shown: path, fileSystem: fileSystem)
    }

    /// Creates the folder at `path` and any missing folders above it (as `mkdir -p`), each named in the
    /// error when it cannot be made.
    /// - Throws: `FileError` naming the first folder that is a file, a special file, or cannot be created.
    public static func createFolders(_ path: String, fileSystem: any FileSystem = SystemFileSystem()) throws {
        switch fileSystem.kind(of: path) {
        case .folder: return
        case .missing: break
        case .regularFile: throw FileError(path: path, reason: "is a file, not a folder")
        case let .special(what): throw FileError(path: path, reason: "is \(what), not a folder")
        }
        let parent = folder(of: path)
        if parent != path { try createFolders(parent, fileSystem: fileSystem) }
        try fileSystem.createFolder(path)
    }

    // MARK: - Parts

    private static func requireWritable(_ target: String, shown path: String, fileSystem: any FileSystem) throws {
        guard !target.isEmpty else { throw FileError(path: path, reason: "an empty name; name a file") }
        switch fileSystem.kind(of: target) {
        case .missing, .regularFile: break
        case .folder: throw FileError(path: path, reason: "is a folder; name a file")
        case let .special(what):
            throw FileError(path: path, reason: "is \(what), not a regular file; nothing was written")
        }
        let parent = folder(of: target)
        guard fileSystem.kind(of: parent) == .folder else {
            throw FileError(path: path, reason: "its folder \(parent) does not exist")
        }
    }

    /// `path` with symbolic links at its end followed (at most 32, as the kernel allows 40).
    static func resolvingLinks(_ path: String, fileSystem: any FileSystem) -> String {
        var current = path
        for _ in 0..<32 {
            guard let target = fileSystem.linkTarget(of: current) else { return current }
            current = target.utf8.first == UInt8(ascii: "/") ? target : PathNames.joining(folder(of: current), target)
        }
        return current
    }

    /// `path` without the slashes at its end ("/" stays "/"), by its UTF-8 bytes as `PathNames` splits it.
    private static func trimmed(_ path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1 && bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func folder(of path: String) -> String { PathNames.folder(of: path) }

    private static func sibling(of path: String, suffix: String) -> String {
        PathNames.joining(folder(of: path), ".\(PathNames.lastComponent(of: path)).\(suffix)")
    }
}
