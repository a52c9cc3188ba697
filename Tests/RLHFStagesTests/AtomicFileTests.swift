import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// `AtomicFile.appendLine`, as `set log_file` and `label` use it: each line appended at the end of the file.
@Suite("Appending lines")
struct AtomicFileTests {
    @Test("three lines appended to a new file are the file's three lines, and nothing else is left beside it")
    func threeLines() throws {
        let folder = TemporaryFolder()
        let path = folder.pathFor("log.jsonl")
        for line in ["{\"step\":1}", "{\"step\":2}", "{\"step\":3}"] { try AtomicFile.appendLine(line, to: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["log.jsonl"])
    }

    @Test("a file whose last line is unfinished gets its newline before the new line; earlier lines stay")
    func unfinishedLastLine() throws {
        let folder = TemporaryFolder()
        let path = folder.file("pairs.jsonl", "first\nsecond")
        try AtomicFile.appendLine("third", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first\nsecond\nthird\n")
    }

    @Test("a path in a missing folder gives one clear error naming the file and the folder, and creates nothing")
    func missingFolder() throws {
        let folder = TemporaryFolder()
        let path = folder.pathFor("no/such/log.jsonl")
        let error = try #require(throws: DataError.self) { try AtomicFile.appendLine("x", to: path) }
        #expect(error.description == "\(path): its folder \(folder.pathFor("no/such")) does not exist")
        #expect(!error.description.contains("\n"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("a folder at the path is refused, and stays as it was")
    func folderAtPath() throws {
        let folder = TemporaryFolder()
        let error = try #require(throws: DataError.self) { try AtomicFile.appendLine("x", to: folder.path) }
        #expect(error.description == "\(folder.path): is a folder; name a file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
