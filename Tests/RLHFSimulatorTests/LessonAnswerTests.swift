import Foundation
import Testing
import RLHFSimulator

/// A console whose learner types the given lines, one per question.
final class TypingConsole: Console {
    let isTerminal = true
    let usesColor = false
    private(set) var text = ""
    private var typed: [String]

    init(typed: [String]) { self.typed = typed }

    func write(_ text: String) { self.text += text }
    func showProgress(_ text: String) {}
    func interruptRequested() -> Bool { false }
    func waitAtPause() -> PauseAnswer { .proceed }
    func ask(_ question: String) -> String? {
        write(question)
        return typed.isEmpty ? nil : typed.removeFirst()
    }
}

@Suite("A lesson's answer")
struct LessonAnswerTests {
    @Test("in a replay `answer` uses the scripted answer; on a terminal the learner's typed one")
    func answerAsksTheLearner() throws {
        let replay = try SessionFixture()
        _ = replay.run("label")
        #expect(replay.run("answer 0").contains("Saved your choice (0)"))

        let learner = try SessionFixture()
        let console = TypingConsole(typed: ["maybe", "1"])
        _ = learner.interpreter.execute("label", console: console)
        _ = learner.interpreter.execute("answer 0", console: console)
        #expect(console.text.contains("Type 0, 1, skip or annotator."))
        #expect(console.text.contains("Saved your choice (1)"))
        let saved = try String(contentsOfFile: learner.session.labelFile, encoding: .utf8)
        #expect(saved.contains("\"choice\":1"))
        #expect(learner.run("answer 0").contains("error: no pair is waiting"))
    }
}
