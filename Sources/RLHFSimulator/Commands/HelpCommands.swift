import RLHFStages

/// Help, the vocabulary, and the annotator's taste.
enum HelpCommands {
    static let all: [Command] = [help, vocab, taste]

    static let help = Command(
        "help", aliases: ["h", "?"], usage: "help [COMMAND]", summary: "list the commands, or explain one",
        complete: { _, arguments in arguments.isEmpty ? CommandCatalog.all.map(\.name) : [] }
    ) { call in
        try call.expectAtMost(1)
        if let name = call.arguments.first {
            guard let command = call.interpreter.command(named: name) else {
                throw CommandError(call.interpreter.unknownCommandMessage(name))
            }
            call.console.line("usage: \(command.usage)")
            if !command.aliases.isEmpty { call.console.line("also: \(command.aliases.joined(separator: ", "))") }
            call.console.line(command.summary)
            if !command.details.isEmpty { call.console.line(command.details) }
            return
        }
        var table = Table([.init("command", .left), .init("", .left)])
        for command in call.interpreter.commands { table.add([command.usage, command.summary]) }
        table.add(["quit", "leave (also Ctrl-D)"])
        call.console.line(table.render())
        call.console.line("An empty line repeats `step`. `help COMMAND` explains one command.")
    }

    static let vocab = Command("vocab", usage: "vocab",
                               summary: "list the vocabulary: every token and its id") { call in
        let tokens = call.session.tokenizer.tokens
        let cells = tokens.enumerated().map { Format.padRight("\($0.offset):\(Format.token($0.element))", 14) }
        for start in stride(from: 0, to: cells.count, by: 6) {
            let row = cells[start..<min(start + 6, cells.count)].joined()
            call.console.line("  " + row.trimmingCharacters(in: .whitespaces))
        }
        call.console.line("Text is lower-cased and split into words and punctuation, as Hugging Face's Whitespace "
            + "pre-tokenizer does.")
    }

    static let taste = Command("taste", usage: "taste",
                               summary: "what the simulated annotator likes and dislikes") { call in
        call.console.line(call.session.annotator.tasteDescription)
        call.console.line("The reward model never sees this description: it learns only from the annotator's choices.")
    }
}
