import Foundation
import RLHFSimulator
import Testing

/// Where `lesson` looks for lessons, and what it says when there are none there (a binary copied
/// out of its checkout, or RLHF_LESSONS pointing at the wrong folder).
@Suite("Lesson folder")
struct LessonFolderTests {
    static func emptyFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-lessons-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        return folder
    }

    @Test("no lessons: one line naming the folder, why that one, and RLHF_LESSONS")
    func noLessons() throws {
        let folder = try Self.emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let advice = "set RLHF_LESSONS to a copy of the checkout's lessons/ folder"
        let set = #expect(throws: CommandError.self) { try Lessons.available(in: (folder, true)) }
        #expect(set?.message == "no lessons (NN-topic.txt files) in \(folder.path) (RLHF_LESSONS); \(advice)")
        let missing = folder.appendingPathComponent("lessons")
        let copied = #expect(throws: CommandError.self) { try Lessons.available(in: (missing, false)) }
        #expect(copied?.message == "no lessons (NN-topic.txt files) in \(missing.path) "
                + "(the checkout this rlhf was built from); \(advice)")
    }

    @Test("a folder with a lesson lists it")
    func oneLesson() throws {
        let folder = try Self.emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "# Lesson 1: First steps\n> Hello.\n".write(to: folder.appendingPathComponent("01-first.txt"),
                                                        atomically: true, encoding: .utf8)
        let lessons = try Lessons.available(in: (folder, true))
        #expect(lessons.map(\.number) == [1] && lessons.map(\.title) == ["First steps"])
    }

    @Test("the checkout's own lessons are found from the sources")
    func checkoutLessons() throws {
        let searched = WorldLocation.lessonsSearched
        #expect(try Lessons.available(in: searched).count == Lessons.all().count)
        #expect(!Lessons.all().isEmpty)
    }
}
