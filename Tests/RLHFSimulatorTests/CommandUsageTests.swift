import RLHFSimulator
import Testing

/// Each command's usage is declared once, with the command: `help`, its errors and tab completion use it.
@Suite("Usage declared once per command")
struct CommandUsageTests {
    @Test("help NAME prints the declared usage of every command")
    func helpShowsUsage() throws {
        let fixture = try SessionFixture()
        for command in fixture.interpreter.commands {
            #expect(fixture.run("help \(command.name)").contains("usage: \(command.usage)\n"), "\(command.name)")
        }
    }

    @Test("a command's errors quote its declared usage")
    func errorsQuoteUsage() throws {
        let fixture = try SessionFixture()
        func usage(_ name: String) throws -> String { try #require(fixture.interpreter.command(named: name)).usage }
        #expect(fixture.run("save") == "error: usage: \(try usage("save"))\n")
        #expect(fixture.run("train") == "error: usage: \(try usage("train"))\n")
        #expect(try usage("train") == "train sft|rm|ppo|grpo|rloo|dpo N [FILE]")
        #expect(fixture.run("export trace") == "error: usage: \(try usage("export"))\n")
        #expect(fixture.run("echo maybe") == "error: usage: echo on|off\n")
        #expect(fixture.run("set gamma") == "error: usage: set NAME VALUE (`show` lists the names)\n")
    }

    @Test("completion offers the literal words of the usage where the command gives no list of its own")
    func completionFromUsage() throws {
        let fixture = try SessionFixture()
        func complete(_ line: String) -> [String] { fixture.interpreter.completions(lineBeforeCursor: line, word: "") }
        #expect(complete("update ") == ["step"])
        #expect(complete("echo ") == ["off", "on"])
        #expect(complete("export ") == ["dpo", "trace"])
        #expect(complete("train ") == ["dpo", "grpo", "ppo", "rloo", "rm", "sft"])
        #expect(complete("answer ") == ["0", "1", "annotator", "skip"])
        #expect(complete("batch ").isEmpty)
        #expect(Command.literals(in: "label [0|1|skip|annotator|clear]", at: 0)
            == ["0", "1", "skip", "annotator", "clear"])
        #expect(Command.literals(in: "export trace FILE | export dpo FILE [PAIRS]", at: 1).isEmpty)
    }
}
