import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a path names, after following symbolic links.
public enum FileKind: Equatable, Sendable {
    case missing
    case regularFile
    case folder
    /// A device, FIFO or socket, described in words ("a FIFO").
    case special(String)
}

/// A file that cannot be read, written or understood, in our words: the path and what is wrong
/// (for a file that reads but is bad, such as a trace, the key and what is wrong with it).
public struct FileError: Error, Equatable, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// PATH: reason; an empty path shows as "".
    public var description: String { "\(path.isEmpty ? "\"\"" : path): \(reason)" }
}

/// The file operations that `SafeFile` is built from: a seam, so that tests can fail
/// any one of them (`SystemFileSystem` is the real one).
public protocol FileSystem {
    /// What `path` names, following symbolic links.
    func kind(of path: String) -> FileKind
    /// Where a symbolic link points (relative targets as written), or nil if `path` is not a link.
    func linkTarget(of path: String) -> String?
    /// The names in a folder, sorted.
    func entries(ofFolder path: String) throws -> [String]
    /// The whole contents of a regular file.
    func readFile(_ path: String) throws -> Data
    /// The permission bits of an existing file, or nil.
    func permissions(of path: String) -> Int?
    func createFolder(_ path: String) throws
    /// Creates `path`, which must not exist, writes `data` and flushes it to the disk.
    func writeNewFile(_ data: Data, to path: String, permissions: Int) throws
    /// Appends `data` (whole lines) to the regular file at `path`, created with `permissions` if missing,
    /// and flushes it to the disk; an unfinished last line is ended with a newline first. A write that
    /// fails part-way, or a flush that fails after it, is cut back, so the file ends where it did (and a
    /// file the call created is removed: it did not exist).
    func appendLines(_ data: Data, to path: String, permissions: Int) throws
    /// Renames `source` over `destination` (a file over a file, or a folder to a free name).
    func rename(_ source: String, to destination: String) throws
    /// Removes a file or a folder with everything in it.
    func removeTree(_ path: String) throws
    /// Flushes a folder's list of names to the disk, so a rename in it survives a crash.
    func syncFolder(_ path: String) throws
}

/// The real file system, through POSIX calls, with errno said in words.
public struct SystemFileSystem: FileSystem {
    /// Flushes an open file or folder to the disk (`fsync`), setting errno when it fails.
    let flush: @Sendable (Int32) -> Int32

    public init() { flush = { fsync($0) } }

    /// The real file system with another flush: tests give one that fails, to see what a failed flush leaves.
    public init(flush: @escaping @Sendable (Int32) -> Int32) { self.flush = flush }

    public func kind(of path: String) -> FileKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .folder
        case S_IFIFO: return .special("a FIFO")
        case S_IFSOCK: return .special("a socket")
        case S_IFCHR: return .special("a character device")
        case S_IFBLK: return .special("a block device")
        default: return .special("not a regular file")
        }
    }

    public func linkTarget(of path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func entries(ofFolder path: String) throws -> [String] {
        guard let folder = opendir(path) else { throw failure(path, "cannot list the folder") }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func readFile(_ path: String) throws -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, "cannot read") }
        defer { close(descriptor) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 { if errno == EINTR { continue }; throw failure(path, "cannot read") }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    public func permissions(of path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode & 0o7777)
    }

    public func createFolder(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 else { throw failure(path, "cannot create the folder") }
    }

    public func writeNewFile(_ data: Data, to path: String, permissions: Int) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(permissions))
        guard descriptor >= 0 else { throw failure(path, "cannot create the file") }
        var closed = false
        defer { if !closed { close(descriptor) } }
        try writeAll(data, to: descriptor, path)
        guard flush(descriptor) == 0 else { throw failure(path, "cannot flush to the disk") }
        closed = true
        guard close(descriptor) == 0 else { throw failure(path, "cannot write") }
    }

    public func appendLines(_ data: Data, to path: String, permissions: Int) throws {
        // Opened as it is, else created here (O_EXCL): a file this call created is removed if the append fails.
        // A file removed or made between the two opens sends the loop round again.
        var created = false
        var descriptor: Int32 = -1
        for _ in 0..<4 where descriptor < 0 {
            descriptor = open(path, O_RDWR | O_APPEND | O_CLOEXEC)
            created = false
            guard descriptor < 0 && errno == ENOENT else { break }
            descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(permissions))
            created = true
            guard descriptor < 0 && errno == EEXIST else { break }
        }
        guard descriptor >= 0 else { throw failure(path, "cannot open the file to append") }
        defer { close(descriptor) }
        var info = stat()
        let measured = fstat(descriptor, &info) == 0
        let size = info.st_size
        do {
            guard measured else { throw failure(path, "cannot append") }
            var bytes = Data()
            var last: UInt8 = 0
            if size > 0 && pread(descriptor, &last, 1, size - 1) == 1 && last != UInt8(ascii: "\n") {
                bytes.append(UInt8(ascii: "\n"))
            }
            bytes.append(data)
            try writeAll(bytes, to: descriptor, path)
            // A line that may not be on the disk is taken back too, so the file agrees with the error.
            guard flush(descriptor) == 0 else { throw failure(path, "cannot flush to the disk") }
        } catch {
            // No part of the new line left behind, nor the file when it did not exist before.
            if measured { _ = ftruncate(descriptor, size) }
            if created && measured && isStill(info, at: path) { _ = unlink(path) }
            throw error
        }
    }

    /// Whether `path` still names the file whose `fstat` gave `info` (the same device and inode), so that
    /// removing the path removes that file and not one another process has put there since (lstat: a link put
    /// in its place is not the file).
    private func isStill(_ info: stat, at path: String) -> Bool {
        var now = stat()
        return lstat(path, &now) == 0 && now.st_dev == info.st_dev && now.st_ino == info.st_ino
    }

    public func rename(_ source: String, to destination: String) throws {
        guard Foundation.rename(source, destination) == 0 else {
            throw failure(destination, "cannot rename \(PathNames.lastComponent(of: source)) into place")
        }
    }

    public func removeTree(_ path: String) throws {
        if kind(of: path) == .folder, linkTarget(of: path) == nil {
            for name in try entries(ofFolder: path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 else { throw failure(path, "cannot remove the folder") }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw failure(path, "cannot remove") }
        }
    }

    public func syncFolder(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, "cannot open the folder") }
        defer { close(descriptor) }
        // Some file systems cannot sync a folder (EINVAL); the rename stands all the same.
        guard flush(descriptor) == 0 || errno == EINVAL else { throw failure(path, "cannot flush the folder") }
    }

    /// Writes all of `data` to `descriptor` (of `path`), retrying short and interrupted writes.
    private func writeAll(_ data: Data, to descriptor: Int32, _ path: String) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let count = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 { if errno == EINTR { continue }; throw failure(path, "cannot write") }
                offset += count
            }
        }
    }

    /// `action` failed on `path`: the error with errno in words.
    private func failure(_ path: String, _ action: String) -> FileError {
        FileError(path: path, reason: "\(action): \(SystemFileSystem.words(forErrno: errno))")
    }

    /// What an errno means, in plain words (no library error codes).
    static func words(forErrno code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file or folder"
        case EACCES, EPERM: return "permission denied"
        case ENOSPC: return "no space left on the disk"
        case EDQUOT: return "over the disk quota"
        case EROFS: return "the file system is read-only"
        case ENOTDIR: return "a part of the path is not a folder"
        case EISDIR: return "it is a folder"
        case EEXIST: return "it already exists"
        case ENOTEMPTY: return "the folder is not empty"
        case ENAMETOOLONG: return "the name is too long"
        case EIO: return "input/output error"
        case EXDEV: return "source and destination are on different file systems"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}
