import Foundation
import RLHFEngine
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, except that its Nth changing operation fails. With `killed`, that
/// operation and every later one fail (as if the process died there: no clean-up runs), and a
/// file being written at that moment is left half-written.
final class FailingFileSystem: FileSystem {
    let failAt: Int
    let killed: Bool
    private(set) var count = 0
    private let real = SystemFileSystem()

    init(failAt: Int, killed: Bool) {
        self.failAt = failAt
        self.killed = killed
    }

    var failed: Bool { count >= failAt }

    /// Counts one changing operation and throws if it is the one to fail (or later, if killed).
    private func step(_ path: String) throws {
        count += 1
        if count == failAt || (killed && count > failAt) {
            throw FileError(path: path, reason: "injected failure at operation \(count)")
        }
    }

    func kind(of path: String) -> FileKind { real.kind(of: path) }
    func linkTarget(of path: String) -> String? { real.linkTarget(of: path) }
    func entries(ofFolder path: String) throws -> [String] { try real.entries(ofFolder: path) }
    func readFile(_ path: String) throws -> Data { try real.readFile(path) }
    func permissions(of path: String) -> Int? { real.permissions(of: path) }
    func createFolder(_ path: String) throws { try step(path); try real.createFolder(path) }
    func writeNewFile(_ data: Data, to path: String, permissions: Int) throws {
        if killed && count + 1 == failAt {
            try? real.writeNewFile(data.prefix(data.count / 2), to: path, permissions: permissions)
        }
        try step(path)
        try real.writeNewFile(data, to: path, permissions: permissions)
    }
    func appendLines(_ data: Data, to path: String, permissions: Int) throws {
        try step(path)
        try real.appendLines(data, to: path, permissions: permissions)
    }
    func rename(_ source: String, to destination: String) throws {
        try step(destination)
        try real.rename(source, to: destination)
    }
    func removeTree(_ path: String) throws { try step(path); try real.removeTree(path) }
    func syncFolder(_ path: String) throws { try step(path); try real.syncFolder(path) }
}

@Suite("Checkpoint: safe files and atomic saves")
struct SafeFileCheckpointTests {
    private static func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-safe-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    /// Two checkpoints side by side in `folder`, as `save DIR` writes three.
    private static func saveBoth(seed: UInt64, to folder: String, fileSystem: any FileSystem) throws {
        let (model, valueHead, rewardHead) = CheckpointTests.makeModel(seed: seed)
        let tokenizer = CheckpointTests.makeTokenizer()
        try SafeFile.replaceFolder(folder, allowed: ["policy", "reward"], fileSystem: fileSystem) { staging in
            let url = URL(fileURLWithPath: staging)
            try CheckpointTests.save(model, tokenizer: tokenizer, head: valueHead,
                                     to: url.appendingPathComponent("policy"), fileSystem: fileSystem)
            try CheckpointFolder.saveSequenceClassifier(model: model, scoreHead: rewardHead, tokenizer: tokenizer,
                                                        to: url.appendingPathComponent("reward"), fileSystem: fileSystem)
        }
    }

    /// Which save `folder` holds: the seed both checkpoints were made from, or nil if loading refuses.
    private static func loadedSeed(_ folder: String, seeds: [UInt64]) -> UInt64?? {
        let tables = seeds.map { CheckpointTests.makeModel(seed: $0).0.namedParameters()[0].1.data }
        var found: [UInt64] = []
        for name in ["policy", "reward"] {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(name)
            guard let loaded = try? CheckpointFolder.load(from: url) else { return .some(nil) }
            let table = loaded.model.namedParameters()[0].1.data
            guard let index = tables.firstIndex(of: table) else { return nil }
            found.append(seeds[index])
        }
        return found[0] == found[1] ? .some(found[0]) : nil  // nil: a mixture
    }

    @Test("a save failed or killed at its Nth file operation, for every N, never leaves a mixture",
          arguments: [false, true])
    func failAtEveryStep(killed: Bool) throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/saved"
        var operations = 0
        var outcomes: [String: Int] = [:]
        for failAt in 1... {
            try? FileManager.default.removeItem(atPath: root)
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
            try Self.saveBoth(seed: 1, to: folder, fileSystem: SystemFileSystem())
            let failing = FailingFileSystem(failAt: failAt, killed: killed)
            let threw = (try? Self.saveBoth(seed: 2, to: folder, fileSystem: failing)) == nil
            if !failing.failed {
                #expect(!threw)
                operations = failing.count
                break
            }
            let state = Self.loadedSeed(folder, seeds: [1, 2])
            // A save that reports success has its new folder in place (only tidying failed).
            #expect(threw || state == .some(2), "operation \(failAt): the save reported success without the new folder")
            guard let seed = state else {
                Issue.record("operation \(failAt): the folder holds a mixture of two saves")
                continue
            }
            outcomes[seed.map { $0 == 1 ? "old" : "new" } ?? "refused", default: 0] += 1
            if seed == nil {
                let note = SafeFile.missingFolderNote(folder)
                #expect(note != nil, "operation \(failAt): a refused load should be explained")
            }
            if !killed {
                // A failure that the save saw is cleaned up: nothing but the folder remains, except
                // a `.saved.previous` whose removal failed after the new folder was in place.
                let left = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0 != "saved" }
                #expect(left == [] || (!threw && left == [".saved.previous"]), "operation \(failAt) left \(left)")
            }
            // The next save succeeds whatever was left, and leaves nothing else behind.
            try Self.saveBoth(seed: 2, to: folder, fileSystem: SystemFileSystem())
            #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["saved"])
            #expect(Self.loadedSeed(folder, seeds: [1, 2]) == .some(2))
        }
        #expect(operations > 20, "a save of two checkpoints takes more file operations than \(operations)")
        #expect(outcomes["old", default: 0] > 0 && outcomes["new", default: 0] > 0, "\(outcomes)")
    }

    @Test("a FIFO, a folder or a device is refused before anything is written")
    func specialFilesRefused() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fifo = root + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        for (path, words) in [(fifo, "is a FIFO"), (root, "is a folder"), ("/dev/null", "is a character device")] {
            let error = #expect(throws: FileError.self) { try SafeFile.write(Data("x".utf8), to: path) }
            #expect(error?.description.contains(words) == true, "\(String(describing: error))")
            let read = #expect(throws: FileError.self) { _ = try SafeFile.read(path) }
            #expect(read?.description.contains(words) == true || path == root, "\(String(describing: read))")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["pipe"])
        let missing = #expect(throws: FileError.self) { try SafeFile.write(Data(), to: root + "/absent/file") }
        #expect(missing?.reason.contains("does not exist") == true)
    }

    @Test("writing through a symbolic link replaces its target and keeps the link")
    func symbolicLinkTargetReplaced() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("old".utf8).write(to: URL(fileURLWithPath: root + "/target.txt"))
        try FileManager.default.createSymbolicLink(atPath: root + "/link.txt", withDestinationPath: "target.txt")
        try SafeFile.write(Data("new".utf8), to: root + "/link.txt")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/link.txt") == "target.txt")
        #expect(try String(contentsOfFile: root + "/target.txt", encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["link.txt", "target.txt"])
    }

    @Test("a folder holding other files is never replaced")
    func foreignFolderKept() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("mine".utf8).write(to: URL(fileURLWithPath: root + "/notes.txt"))
        let error = #expect(throws: FileError.self) {
            try SafeFile.replaceFolder(root, allowed: ["policy"]) { _ in }
        }
        #expect(error?.reason.contains("holds other files (notes.txt)") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["notes.txt"])
    }

    /// Appends `line` to `path` through the real file system with every flush to the disk failing (EIO),
    /// expecting that error.
    private static func expectFlushFailure(appending line: String, to path: String) {
        let failing = SystemFileSystem(flush: { _ in
            errno = EIO
            return -1
        })
        let error = #expect(throws: FileError.self) { try SafeFile.appendLine(line, to: path, fileSystem: failing) }
        #expect(error?.description == "\(path): cannot flush to the disk: input/output error")
    }

    @Test("an appended line whose flush to the disk fails is taken back: the file and the error agree")
    func appendFlushFailure() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/log.jsonl"
        try SafeFile.appendLine("{\"step\":1}", to: path)
        Self.expectFlushFailure(appending: "{\"step\":2}", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"step\":1}\n")
        try SafeFile.appendLine("{\"step\":2}", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"step\":1}\n{\"step\":2}\n")
    }

    @Test("a first line whose flush fails takes back the file it created: no empty file is left")
    func appendFlushFailureOnNewFile() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/log.jsonl"
        Self.expectFlushFailure(appending: "{\"step\":1}", to: path)
        #expect(SystemFileSystem().kind(of: path) == .missing)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == [])
        try SafeFile.appendLine("{\"step\":1}", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"step\":1}\n")
    }
}
