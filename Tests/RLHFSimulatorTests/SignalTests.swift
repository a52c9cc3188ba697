import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes read from a pipe or a terminal in the background, for a test to wait on.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) { lock.withLock { data.append(more) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// Waits (at most a minute, so a broken build fails instead of hanging) until `needle` was read.
    func wait(for needle: String) -> Bool {
        for _ in 0..<600 {
            if text.contains(needle) { return true }
            usleep(100_000)
        }
        return false
    }
}

@Suite("Signals end this process only", .serialized)
struct SignalTests {
    static func environment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["TERM"] = "xterm"
        environment["RLHF_HISTORY"] = FileManager.default.temporaryDirectory
            .appendingPathComponent("rlhf-signal-history-\(UUID().uuidString)").path
        return environment
    }

    @Test("SIGTERM, SIGHUP, SIGQUIT during a long command stop it at its last whole step; exit 128 + the signal",
          arguments: [SIGTERM, SIGHUP, SIGQUIT])
    func duringACommand(_ signal: Int32) throws {
        guard let executable = Executable.url else { throw ExecutableMissing() }
        let process = Process()
        process.executableURL = executable
        process.environment = Self.environment()
        let (input, output, errors) = (Pipe(), Pipe(), Pipe())
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        let collected = OutputCollector(), collectedErrors = OutputCollector()
        output.fileHandleForReading.readabilityHandler = { collected.append($0.availableData) }
        errors.fileHandleForReading.readabilityHandler = { collectedErrors.append($0.availableData) }
        try process.run()
        input.fileHandleForWriting.write(Data("set batch_size 2\ntrain ppo 100000\nstate\n".utf8))
        try input.fileHandleForWriting.close()
        #expect(collected.wait(for: "PPO: 100000 iterations"))
        usleep(300_000)
        kill(process.processIdentifier, signal)
        Self.endIfStillRunning(process.processIdentifier) { process.isRunning }
        process.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
        collected.append(output.fileHandleForReading.readDataToEndOfFile())
        collectedErrors.append(errors.fileHandleForReading.readDataToEndOfFile())
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 128 + signal)
        #expect(collected.text.contains("Stopped "))
        #expect(collected.text.contains("whole iteration"))
        #expect(!collected.text.contains("No episode"), "the script stopped with the command")
        #expect(collectedErrors.text.contains("stopped after the last whole step"))
    }

    @Test("a signal at the prompt restores the terminal, exits with 128 + the signal, and the parent shell goes on",
          arguments: [SIGTERM, SIGHUP, SIGQUIT])
    func atThePrompt(_ signal: Int32) throws {
        guard let executable = Executable.url else { throw ExecutableMissing() }
        var master: Int32 = 0, slave: Int32 = 0
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { Issue.record("no pseudo-terminal"); return }
        defer { close(master) }
        // A non-interactive shell: it shares its process group with rlhf, so a signal sent to
        // the whole group (the old behaviour) would end it before it prints the status.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "'\(executable.path)'; echo \"rlhf exited $?\"; echo parent-alive"]
        shell.environment = Self.environment()
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        shell.standardInput = terminal
        shell.standardOutput = terminal
        shell.standardError = terminal
        let collected = OutputCollector()
        let masterFD = master
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(masterFD, &buffer, buffer.count)
                if count <= 0 { break }
                collected.append(Data(buffer[0..<count]))
            }
        }
        try shell.run()
        try terminal.close()
        reader.start()
        #expect(collected.wait(for: "rlhf> "))
        // A half-typed line: the terminal is in libedit's raw mode now.
        _ = "half typed".withCString { write(master, $0, strlen($0)) }
        usleep(300_000)
        let rlhf = Self.child(of: shell.processIdentifier)
        #expect(rlhf != nil)
        if let rlhf {
            kill(rlhf, signal)
            Self.endIfStillRunning(rlhf) { kill(rlhf, 0) == 0 }
        }
        #expect(collected.wait(for: "parent-alive"))
        shell.waitUntilExit()
        #expect(collected.text.contains("rlhf exited \(128 + signal)"))
        #expect(shell.terminationStatus == 0)
    }

    /// A process that has not ended a minute after its signal fails the test and is killed, so
    /// no stray rlhf is left training when the signal handling is broken.
    static func endIfStillRunning(_ pid: Int32, _ isRunning: () -> Bool) {
        for _ in 0..<600 where isRunning() { usleep(100_000) }
        if isRunning() {
            Issue.record("rlhf (pid \(pid)) did not end after its signal")
            kill(pid, SIGKILL)
        }
    }

    /// The process whose parent is `parent` (Linux's /proc), for the shell's rlhf.
    static func child(of parent: Int32) -> Int32? {
        for _ in 0..<100 {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            for entry in entries {
                guard let pid = Int32(entry),
                      let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8) else { continue }
                // pid (comm) state ppid ...
                let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
                if fields.count > 1, Int32(fields[1]) == parent { return pid }
            }
            usleep(50_000)
        }
        return nil
    }
}
