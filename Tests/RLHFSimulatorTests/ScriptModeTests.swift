import Foundation
import Testing

struct ExecutableMissing: Error, CustomStringConvertible {
    var description: String { "the rlhf executable was not built next to the tests" }
}

/// Runs the real `rlhf` executable.
enum Executable {
    /// The `rlhf` built next to this test binary (SwiftPM puts products side by side).
    static var url: URL? {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rlhf")
        let candidates = [beside] + ["release", "debug"].map { packageRoot.appendingPathComponent(".build/\($0)/rlhf") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs `rlhf arguments`, feeding `input` to its standard input, with `setting` added to the
    /// environment; returns (status, stdout, stderr).
    static func run(_ arguments: [String], input: String = "",
                    setting: [String: String] = [:]) throws -> (Int32, String, String) {
        let process = Process()
        guard let executable = url else { throw ExecutableMissing() }
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment.merge(setting) { _, new in new }
        process.environment = environment
        let (stdin, stdout, stderr) = (Pipe(), Pipe(), Pipe())
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }
}

@Suite("Scripts: --script FILE prints exactly what the same lines piped in print")
struct ScriptModeTests {
    static let script = """
        # a whole episode and a PPO update
        prompt write an ad for coral bay .
        logits 3
        step swim
        finish
        reward
        advantages
        credit
        set batch_size 3
        batch
        update
        """

    @Test("--script and standard input give the same bytes, twice")
    func scriptEqualsPipe() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-script-\(UUID().uuidString).txt")
        try Self.script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (scriptStatus, scriptOutput, scriptErrors) = try Executable.run(["--script", file.path])
        let (pipeStatus, pipeOutput, _) = try Executable.run([], input: Self.script + "\n")
        #expect(scriptStatus == 0, "stderr: \(scriptErrors)")
        #expect(pipeStatus == 0)
        #expect(scriptOutput.contains("Update finished"))
        #expect(scriptOutput == pipeOutput)
        let (_, again, _) = try Executable.run(["--script", file.path])
        #expect(again == scriptOutput)
    }

    @Test("RLHF_THREADS=1 (every product on one thread) prints the same bytes as two threads")
    func oneThreadEqualsTwo() throws {
        // A batch of 16 and its update: products and attention large enough to be split in two.
        let script = Self.script.replacingOccurrences(of: "set batch_size 3", with: "set batch_size 16")
        let (twoStatus, two, twoErrors) = try Executable.run([], input: script + "\nlogits 5\n")
        let (oneStatus, one, _) = try Executable.run([], input: script + "\nlogits 5\n", setting: ["RLHF_THREADS": "1"])
        #expect(twoStatus == 0 && oneStatus == 0, "stderr: \(twoErrors)")
        #expect(two.contains("Update finished"))
        #expect(one == two)
    }

    @Test("a script stops at its first error with FILE:LINE and a non-zero status; --keep-going goes on")
    func scriptErrors() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-bad-\(UUID().uuidString).txt")
        try "prompt describe gulf shores .\nstpe\nstate\nset gamma 7\nstate\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output, errors) = try Executable.run(["--script", file.path])
        #expect(status != 0)
        #expect(errors.contains("\(file.path):2: unknown command \"stpe\"; did you mean \"step\"?"))
        #expect(!output.contains("State s0 = prompt"))
        let (keepStatus, keepOutput, _) = try Executable.run(["--script", file.path, "--keep-going"])
        #expect(keepStatus != 0)
        #expect(keepOutput.components(separatedBy: "State s0 = prompt").count == 3)
        #expect(keepOutput.contains("\(file.path):4: gamma takes a number from 0 to 1"))
    }

    @Test("a missing script file is one clear error")
    func missingScript() throws {
        let (status, _, errors) = try Executable.run(["--script", "/nonexistent/lesson.txt"])
        #expect(status != 0)
        #expect(errors.contains("/nonexistent/lesson.txt: no such file"))
    }
}
