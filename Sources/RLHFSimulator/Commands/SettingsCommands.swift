import RLHFEngine
import RLHFStages

/// Settings, the random seed, and starting over.
enum SettingsCommands {
    static let all: [Command] = [set, show, seed, reset]

    static let set = Command(
        "set", usage: "set NAME VALUE", summary: "change a setting (PPO hyperparameters under TRL's names, sampling)",
        details: "`show` lists every setting with its value and meaning.\n"
            + Format.wrapped("Settings: " + Setting.all.map(\.name).joined(separator: ", ") + ".", width: 100),
        complete: { _, arguments in arguments.isEmpty ? Setting.all.map(\.name) : [] }
    ) { call in
        guard call.arguments.count == 2 else { throw call.usageError(" (`show` lists the names)") }
        guard let setting = Setting.named(call.arguments[0]) else {
            let name = call.arguments[0]
            let suggestion = EditDistance.nearest(to: name, among: Setting.all.map(\.name),
                                                  maximum: max(3, name.count / 2))
                .map { "; did you mean \"\($0)\"?" } ?? ""
            throw CommandError("unknown setting \(Format.quoted(name))\(suggestion) (`show` lists them)")
        }
        let before = call.session.config
        try setting.write(call.session, call.arguments[1])
        if let problem = Setting.conflict(call.session) {
            call.session.config = before
            throw CommandError(problem)
        }
        call.console.line("\(setting.name) = \(setting.read(call.session))")
    }

    static let show = Command(
        "show", usage: "show [NAME]", summary: "show the settings, or one of them",
        complete: { _, arguments in arguments.isEmpty ? Setting.all.map(\.name) : [] }
    ) { call in
        try call.expectAtMost(1)
        let chosen: [Setting]
        if let name = call.arguments.first {
            guard let setting = Setting.named(name) else {
                throw CommandError("unknown setting \(Format.quoted(name)) (`show` lists them)")
            }
            chosen = [setting]
        } else {
            chosen = Setting.all
        }
        var table = Table([.init("setting", .left), .init("value", .left), .init("meaning", .left)])
        for setting in chosen { table.add([setting.name, setting.read(call.session), setting.meaning]) }
        call.console.line(table.render())
        if call.arguments.isEmpty {
            let beta = Format.fixed(call.session.trainer.klCoef, 4)
            call.console.line("  seed \(call.session.seed); current beta \(beta)")
        }
    }

    static let seed = Command("seed", usage: "seed N", summary: "restart the random stream from seed N") { call in
        guard call.arguments.count == 1, let value = UInt64(call.arguments[0]) else {
            throw call.usageError(", with N a whole number from 0")
        }
        call.session.reseed(value)
        call.console.line("Random stream restarted from seed \(value) (xoshiro256**).")
    }

    static let reset = Command(
        "reset", usage: "reset", summary: "put the policy back to the SFT model with a fresh value head"
    ) { call in
        try call.expectAtMost(0)
        call.session.resetPolicy()
        call.console.line("The policy is the SFT model again; its value head starts afresh. Settings are kept.")
    }
}
