import Foundation

/// The course: lesson files under `lessons/`, named `NN-topic.txt`, each a script of
/// REPL commands with narration (`> text`) and pauses (`pause`). A lesson's replay is
/// what `rlhf --script` prints for it; replays are kept in `lessons/transcripts/` and
/// compared by the tests (`rlhf lesson --record` writes them anew).
public struct Lesson: Equatable, Sendable {
    public let number: Int
    public let title: String
    public let file: URL

    /// The transcript kept for this lesson.
    public var transcript: URL {
        file.deletingLastPathComponent().appendingPathComponent("transcripts")
            .appendingPathComponent(file.deletingPathExtension().lastPathComponent + ".txt")
    }
}

public enum Lessons {
    /// Every lesson in `folder`, in order. The title is the first line's text after
    /// `# Lesson N:`.
    public static func all(in folder: URL = WorldLocation.lessonsFolder) -> [Lesson] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().compactMap { name -> Lesson? in
            guard name.hasSuffix(".txt"), let number = Int(name.prefix(2)), name.dropFirst(2).hasPrefix("-") else {
                return nil
            }
            let file = folder.appendingPathComponent(name)
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            let firstLine = text.split(separator: "\n").first.map(String.init) ?? ""
            let title = firstLine.split(separator: ":", maxSplits: 1).dropFirst().first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? name
            return Lesson(number: number, title: title, file: file)
        }
    }

    /// Every lesson where `WorldLocation.lessonsSearched` looks, or `in` a given folder.
    /// - Throws: `CommandError` when there is none: one line naming the folder searched (and why that one)
    ///   and saying to point RLHF_LESSONS at a copy of the checkout's `lessons/` folder.
    public static func available(in searched: (folder: URL, fromEnvironment: Bool) = WorldLocation.lessonsSearched)
        throws -> [Lesson] {
        let lessons = all(in: searched.folder)
        guard lessons.isEmpty else { return lessons }
        let place = searched.fromEnvironment ? "RLHF_LESSONS" : "the checkout this rlhf was built from"
        throw CommandError("no lessons (NN-topic.txt files) in \(searched.folder.path) (\(place)); "
            + "set RLHF_LESSONS to a copy of the checkout's lessons/ folder")
    }

    /// The lesson numbered `number`.
    public static func named(_ number: Int, in folder: URL = WorldLocation.lessonsFolder) -> Lesson? {
        all(in: folder).first { $0.number == number }
    }

    /// Replays a lesson on a fresh session, as `rlhf --script` does, and returns what it
    /// printed, with its first error (FILE:LINE) at the end if one stopped it.
    public static func replay(_ lesson: Lesson, worldFolder: URL = WorldLocation.worldFolder) throws -> String {
        let session = try WorldLocation.startSession(folder: worldFolder)
        let interpreter = Interpreter(session: session)
        let console = TextConsole()
        let text = try String(contentsOf: lesson.file, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let result = interpreter.runScript(lines: lines, name: lesson.file.path, console: console,
                                           folder: lesson.file.deletingLastPathComponent())
        return console.text + result.errors.map { "error: \($0)\n" }.joined()
    }

    /// The listing `lesson` prints.
    public static func listing(_ lessons: [Lesson]) -> String {
        lessons.map { "  \(Format.padLeft(String($0.number), 2))  \($0.title)" }.joined(separator: "\n")
    }
}
