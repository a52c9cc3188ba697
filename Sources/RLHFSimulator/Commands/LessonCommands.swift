import Foundation
import RLHFStages

/// What lessons are made of: narration (`> text`, handled by the interpreter), `echo`,
/// `pause`, `answer` and `restart`; and `lesson` to list and play them.
enum LessonCommands {
    static let all: [Command] = [lesson, pause, echo, restart, answer]

    static let lesson = Command(
        "lesson", usage: "lesson [N]", summary: "list the lessons, or play lesson N",
        details: "A lesson starts from a fresh copy of the built-in world (`restart`), so it shows the same\n"
            + "numbers every time; afterwards the session is yours to explore."
    ) { call in
        try call.expectAtMost(1)
        let lessons = try Lessons.available()
        guard !call.arguments.isEmpty else {
            call.console.line("Lessons (`lesson N` plays one):")
            call.console.line(Lessons.listing(lessons))
            return
        }
        let number = try call.integer(0, name: "N", range: 1...99)
        guard let chosen = lessons.first(where: { $0.number == number }) else {
            throw CommandError("no lesson \(number); `lesson` lists them")
        }
        // The lessons' narration is about the built-in world, whose `restart` each lesson begins with.
        let builtIn = WorldLocation.worldFolder
        let previous = call.session.worldFolder
        if let current = previous, current.standardizedFileURL != builtIn.standardizedFileURL {
            call.session.worldFolder = builtIn
            call.console.line("Lessons play on the built-in world; `world \(Format.quoted(current.path))` goes back "
                + "to this session's afterwards.")
        }
        let wasEchoing = call.interpreter.echoesCommands
        defer { call.interpreter.echoesCommands = wasEchoing }
        let models = call.session.sft
        do {
            try call.interpreter.source(path: chosen.file.path, console: call.console)
        } catch {
            // A lesson whose opening `restart` failed left the old world's models: keep its folder with them.
            if call.session.sft === models { call.session.worldFolder = previous }
            throw error
        }
    }

    static let pause = Command(
        "pause", usage: "pause", summary: "in a lesson: wait for Enter (skipped in replays)",
        details: "A command typed at the pause runs, then the lesson waits again; Ctrl-C stops the lesson there."
    ) { call in
        try call.expectAtMost(0)
        while case .command(let line) = call.console.waitAtPause() {
            switch call.interpreter.execute(line, console: call.console) {
            case .done: break
            case .failed(let message): call.console.line("error: \(message)")
            case .quit: throw CommandError("`quit` at a pause stops the lesson; `quit` again leaves rlhf")
            }
            // Ctrl-C during the typed command stops the lesson too (the script checks the flag).
            if call.console.interruptRequested() { return }
        }
    }

    static let answer = Command(
        "answer", usage: "answer 0|1|skip|annotator",
        summary: "in a lesson: the learner answers the waiting `label` on a terminal; a replay uses the answer given"
    ) { call in
        guard call.arguments.count == 1, let scripted = LabelCommands.answerWord(call.arguments[0]) else {
            throw call.usageError()
        }
        guard let pending = call.session.pendingLabel else {
            throw CommandError("no pair is waiting: `label` shows one")
        }
        var reply = scripted
        // On a terminal the learner's own answer replaces the scripted one.
        while let typed = call.console.ask("Your answer (0, 1, skip or annotator): ") {
            if let word = LabelCommands.answerWord(typed) { reply = word; break }
            call.console.line("Type 0, 1, skip or annotator.")
        }
        try LabelCommands.record(answer: reply, pending: pending, call: call)
    }

    static let echo = Command(
        "echo", usage: "echo on|off", summary: "in scripts, print each command before its output"
    ) { call in
        guard call.arguments.count == 1, ["on", "off"].contains(call.arguments[0]) else { throw call.usageError() }
        call.interpreter.echoesCommands = call.arguments[0] == "on"
    }

    static let restart = Command(
        "restart", usage: "restart", summary: "start over: reload the world's models, default settings, seed 0"
    ) { call in
        try call.expectAtMost(0)
        let session = call.session
        let (world, prompts) = try WorldLocation.load(folder: session.worldFolder ?? WorldLocation.worldFolder)
        session.restart(world: world, prompts: prompts, seed: 0)
        let name = session.recipe.name == WorldRecipe.builtIn.name ? "built-in" : session.recipe.name
        call.console.line("Fresh start: the \(name) world's models, default settings, seed 0.")
    }
}
