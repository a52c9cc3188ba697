import ArgumentParser
import Foundation
import RLHFEngine
import RLHFSimulator
import RLHFStages

/// The `rlhf` executable: a thin shell around the RLHFSimulator library.
@main
struct RLHFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlhf",
        abstract: "Step through Reinforcement Learning from Human Feedback on a tiny GPT-2.",
        subcommands: [REPLCommand.self, LessonCommand.self, WorldCommand.self, BenchCommand.self, OutputsCommand.self],
        defaultSubcommand: REPLCommand.self)
}

/// Options shared by the commands that start a session.
struct SessionOptions: ParsableArguments {
    @Option(help: "Seed of the session's random stream.")
    var seed: UInt64 = 0

    @Option(help: "A world folder to load instead of the built-in lessons/world.")
    var world: String?

    func startSession() throws -> Session {
        let folder = world.map { URL(fileURLWithPath: $0) } ?? WorldLocation.worldFolder
        do {
            return try WorldLocation.startSession(folder: folder, seed: seed)
        } catch {
            let hint = world != nil ? "`rlhf world build --output DIR` makes a world folder"
                : folder.path.hasPrefix(WorldLocation.cacheFolder.path + "/")
                ? "without lessons/, the built-in world is built into \(WorldLocation.cacheFolder.path)"
                : "`rlhf world build` makes lessons/world"
            throw StartupError(message: "cannot load the world: \(error)\n(\(hint))")
        }
    }
}

/// `rlhf` and `rlhf --script FILE`: the REPL, or a script replay.
struct REPLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl", abstract: "Start the REPL on the built-in world (the default).")

    @OptionGroup var options: SessionOptions

    @Option(help: "Run the commands in FILE instead of reading a terminal.")
    var script: String?

    @Flag(help: "In a script, report each error and go on instead of stopping at the first.")
    var keepGoing = false

    func run() throws {
        let session = try options.startSession()
        let interpreter = Interpreter(session: session)
        if let script {
            let data: Data
            do { data = try SafeFile.read(script) } catch let error as FileError {
                throw StartupError(message: error.description)
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw StartupError(message: "\(script): not UTF-8 text")
            }
            try ScriptMode.run(text: text, name: script, interpreter: interpreter, keepGoing: keepGoing,
                               folder: URL(fileURLWithPath: script).deletingLastPathComponent())
        } else if !LineEditor.standardInputIsTerminal {
            var text = ""
            while let line = readLine(strippingNewline: false) { text += line }
            try ScriptMode.run(text: text, name: "<stdin>", interpreter: interpreter, keepGoing: keepGoing)
        } else {
            if let signal = InteractiveMode.run(interpreter: interpreter) { throw ExitCode(128 + signal) }
        }
    }
}

/// `rlhf lesson [N]`: list the lessons, play one, or re-record the transcripts.
struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson", abstract: "List the lessons, play lesson N, or re-record their transcripts.")

    @Argument(help: "The lesson to play.")
    var number: Int?

    @Flag(help: "Replay the lesson (or every lesson) and write its transcript under lessons/transcripts.")
    var record = false

    // No --seed or --world: every lesson begins with `restart` on the built-in world (seed 0), and a transcript
    // is what it prints there (`Lessons.replay`).

    func run() throws {
        let lessons: [Lesson]
        do { lessons = try Lessons.available() } catch let error as CommandError {
            throw StartupError(message: error.message)
        }
        if record {
            let chosen = number.map { n in lessons.filter { $0.number == n } } ?? lessons
            if chosen.isEmpty { throw StartupError(message: "no lesson \(number ?? 0); `rlhf lesson` lists them") }
            for lesson in chosen {
                let transcript = try Lessons.replay(lesson)
                try FileManager.default.createDirectory(at: lesson.transcript.deletingLastPathComponent(),
                                                        withIntermediateDirectories: true)
                try transcript.write(to: lesson.transcript, atomically: true, encoding: .utf8)
                print("recorded \(lesson.transcript.path)")
            }
            return
        }
        guard let number else {
            print("Lessons (`rlhf lesson N` plays one; inside the REPL, `lesson N`):")
            print(Lessons.listing(lessons))
            return
        }
        guard lessons.contains(where: { $0.number == number }) else {
            throw StartupError(message: "no lesson \(number); `rlhf lesson` lists them")
        }
        let interpreter = Interpreter(session: try SessionOptions().startSession())
        if LineEditor.standardInputIsTerminal {
            if let signal = InteractiveMode.run(interpreter: interpreter, firstLine: "lesson \(number)") {
                throw ExitCode(128 + signal)
            }
        } else {
            try ScriptMode.run(text: "lesson \(number)\n", name: "<lesson>", interpreter: interpreter, keepGoing: false)
        }
    }
}

/// `rlhf world build`: regenerate lessons/world from the recipe.
struct WorldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "world", abstract: "Build a world (models and data) from a recipe, the built-in one by default.",
        subcommands: [Build.self])

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pre-train, fine-tune, label and train the reward model; write lessons/world.")

        @Option(help: "A recipe file (docs/recipes.md); default: the built-in lessons/recipes/resort.json.")
        var recipe: String?

        @Option(help: "Where to write the world (default: lessons/world, for the built-in recipe only).")
        var output: String?

        func run() throws {
            let chosen: WorldRecipe
            do { chosen = try recipe.map { try WorldRecipe.read(path: $0) } ?? .builtIn } catch let error as DataError {
                throw StartupError(message: error.description)
            }
            let builtInFolder = recipe == nil ? WorldLocation.checkoutLessons?.appendingPathComponent("world") : nil
            guard let folder = output.map({ URL(fileURLWithPath: $0) }) ?? builtInFolder else {
                throw StartupError(message: "give --output DIR (lessons/world is the default for the "
                    + "built-in recipe only)")
            }
            try WorldBuildReport.build(recipe: chosen, to: folder)
        }
    }
}

/// A failure before the session starts: printed as one message, exit status 1.
struct StartupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
