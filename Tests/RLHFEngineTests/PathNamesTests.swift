import Foundation
import RLHFEngine
import Testing

/// The real file system with every relative path taken inside `root`, as if the process ran there: a test
/// can write to "x" without changing the process's working folder, which the parallel tests share.
private struct RootedFileSystem: FileSystem {
    let root: String
    let real = SystemFileSystem()

    func inside(_ path: String) -> String { path.hasPrefix("/") ? path : root + "/" + path }

    func kind(of path: String) -> FileKind { real.kind(of: inside(path)) }
    func linkTarget(of path: String) -> String? { real.linkTarget(of: inside(path)) }
    func entries(ofFolder path: String) throws -> [String] { try real.entries(ofFolder: inside(path)) }
    func readFile(_ path: String) throws -> Data { try real.readFile(inside(path)) }
    func permissions(of path: String) -> Int? { real.permissions(of: inside(path)) }
    func createFolder(_ path: String) throws { try real.createFolder(inside(path)) }
    func writeNewFile(_ data: Data, to path: String, permissions: Int) throws {
        try real.writeNewFile(data, to: inside(path), permissions: permissions)
    }
    func appendLines(_ data: Data, to path: String, permissions: Int) throws {
        try real.appendLines(data, to: inside(path), permissions: permissions)
    }
    func rename(_ source: String, to destination: String) throws {
        try real.rename(inside(source), to: inside(destination))
    }
    func removeTree(_ path: String) throws { try real.removeTree(inside(path)) }
    func syncFolder(_ path: String) throws { try real.syncFolder(inside(path)) }
}

@Suite("Path names split by hand")
struct PathNamesTests {
    @Test("folder and last component as dirname and basename give them, one-character names included")
    func splits() {
        let cases: [(path: String, folder: String, last: String)] = [
            ("x", ".", "x"), ("x/", ".", "x"), ("é", ".", "é"), ("", ".", ""), (".", ".", "."),
            ("/", "/", "/"), ("/x", "/", "x"), ("//x", "/", "x"), ("a/b", "a", "b"), ("a//b", "a", "b"),
            ("a/b/", "a", "b"), ("/a/b/c", "/a/b", "c"), ("./x", ".", "x"), ("../x", "..", "x"),
            // A combining acute accent after the slash: one Swift character with it, but two components.
            ("dir/\u{301}x", "dir", "\u{301}x"), ("é/\u{301}/", "é", "\u{301}"),
        ]
        for (path, folder, last) in cases {
            #expect(PathNames.folder(of: path) == folder, "folder of \"\(path)\"")
            #expect(PathNames.lastComponent(of: path) == last, "last component of \"\(path)\"")
        }
        #expect(PathNames.joining(".", "x") == "x")
        #expect(PathNames.joining("/", "x") == "/x")
        #expect(PathNames.joining("a/b", ".x.saving") == "a/b/.x.saving")
    }

    @Test("a file, a line and a folder saved under one-character relative names (`save x` trapped in Foundation)")
    func oneCharacterNames() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-names-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fileSystem = RootedFileSystem(root: root)
        try SafeFile.write(Data("one".utf8), to: "f", fileSystem: fileSystem)
        try SafeFile.appendLine("line", to: "l", fileSystem: fileSystem)
        try SafeFile.replaceFolder("d/", allowed: ["policy"], fileSystem: fileSystem) { staging in
            try fileSystem.writeNewFile(Data("weights".utf8), to: staging + "/policy", permissions: 0o644)
        }
        #expect(try String(contentsOfFile: root + "/f", encoding: .utf8) == "one")
        #expect(try String(contentsOfFile: root + "/l", encoding: .utf8) == "line\n")
        #expect(try String(contentsOfFile: root + "/d/policy", encoding: .utf8) == "weights")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["d", "f", "l"])
        #expect(SafeFile.missingFolderNote("m", fileSystem: fileSystem) == nil)
    }
}
