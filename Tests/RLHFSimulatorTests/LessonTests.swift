import Foundation
import Testing
import RLHFSimulator

/// Golden transcripts: every lesson's replay must match the transcript kept for it,
/// byte for byte. After a deliberate change, re-record them with
/// `swift run -c release rlhf lesson --record` and read the diff as a learner would.
@Suite("Lessons replay exactly as recorded")
struct LessonTests {
    static let lessons = Lessons.all()

    @Test("the course has its lessons, in order, each with a title")
    func course() {
        #expect(Self.lessons.count >= 11)
        #expect(Self.lessons.map(\.number) == Array(1...Self.lessons.count))
        for lesson in Self.lessons { #expect(!lesson.title.hasSuffix(".txt"), "lesson \(lesson.number) has no title line") }
    }

    @Test("replay matches the golden transcript", arguments: lessons)
    func replay(_ lesson: Lesson) throws {
        let actual = try Lessons.replay(lesson)
        #expect(!actual.contains("error:"), "lesson \(lesson.number) stopped with an error:\n\(String(actual.suffix(400)))")
        guard let expected = try? String(contentsOf: lesson.transcript, encoding: .utf8) else {
            Issue.record("no transcript at \(lesson.transcript.path); record it with `swift run -c release rlhf lesson --record`")
            return
        }
        if let difference = TranscriptDiff.firstDifference(expected: expected, actual: actual) {
            let message = "lesson \(lesson.number) (\(lesson.file.lastPathComponent)) no longer replays as recorded:\n\(difference)\n"
                + "If the change is intended: swift run -c release rlhf lesson \(lesson.number) --record"
            Issue.record(Comment(rawValue: message))
        }
    }
}

/// A short, readable report of where two transcripts part.
enum TranscriptDiff {
    static func firstDifference(expected: String, actual: String) -> String? {
        if expected == actual { return nil }
        let (old, new) = (expected.components(separatedBy: "\n"), actual.components(separatedBy: "\n"))
        let index = zip(old, new).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(old.count, new.count)
        let context = max(0, index - 2)
        var report = "first difference at line \(index + 1):\n"
        for line in context..<index { report += "    \(old[line])\n" }
        for line in index..<min(index + 3, old.count) { report += "  - \(old[line])\n" }
        for line in index..<min(index + 3, new.count) { report += "  + \(new[line])\n" }
        report += "(\(old.count) lines recorded, \(new.count) replayed)"
        return report
    }
}

extension Lesson: CustomTestStringConvertible {
    public var testDescription: String { "lesson \(number): \(title)" }
}
