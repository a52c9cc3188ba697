import Foundation
import RLHFEngine
import RLHFStages

/// Saving and loading models in the Hugging Face layout, and running command files.
enum FileCommands {
    /// The export verb runs `exportTrace` below under PPO.
    static let all: [Command] = [save, load, AlgorithmCommands.export, source]

    /// The three model folders of a saved session, by role.
    static let checkpointFolders = ["policy", "reference", "reward"]

    static let save = Command(
        "save", usage: "save DIR",
        summary: "save DIR/policy (with its value head), DIR/reference and DIR/reward as Hugging Face folders",
        details: "DIR/policy and DIR/reference load as GPT2LMHeadModel, DIR/reward as GPT2ForSequenceClassification;\n"
            + "the value head is in DIR/policy/value_head.safetensors under TRL's names. The save is atomic: DIR is\n"
            + "written as .DIR.saving and swapped in whole, so DIR holds the old save or the new one, never a mixture."
    ) { call in
        guard call.arguments.count == 1 else { throw call.usageError() }
        try saveSession(call.session, to: call.arguments[0])
        let folder = call.arguments[0]
        call.console.line("Saved \(folder)/policy, \(folder)/reference and \(folder)/reward.")
    }

    /// Writes the session's three models into `path`, replacing an earlier save there as a whole.
    static func saveSession(_ session: Session, to path: String,
                            fileSystem: any FileSystem = SystemFileSystem()) throws {
        do {
            try SafeFile.replaceFolder(path, allowed: Set(checkpointFolders), fileSystem: fileSystem) { staging in
                let folder = URL(fileURLWithPath: staging)
                try RLHFCheckpoint.saveLanguageModel(session.policy.model, valueHead: session.policy.valueHead,
                                                     tokenizer: session.tokenizer,
                                                     to: folder.appendingPathComponent("policy"),
                                                     fileSystem: fileSystem)
                try RLHFCheckpoint.saveLanguageModel(session.sft, valueHead: nil, tokenizer: session.tokenizer,
                                                     to: folder.appendingPathComponent("reference"),
                                                     fileSystem: fileSystem)
                try RLHFCheckpoint.saveRewardModel(session.reward, tokenizer: session.tokenizer,
                                                   to: folder.appendingPathComponent("reward"), fileSystem: fileSystem)
            }
        } catch let error as FileError {
            throw CommandError("cannot save \(error.path): \(error.reason); nothing was saved")
        } catch let error as CheckpointError {
            throw CommandError("cannot save: \(error); nothing was saved")
        }
    }

    static let load = Command(
        "load", usage: "load DIR", summary: "load DIR/policy, DIR/reference and DIR/reward (as written by `save`)"
    ) { call in
        guard call.arguments.count == 1 else { throw call.usageError() }
        try loadSession(call.session, from: call.arguments[0])
        call.console.line("Loaded the policy, reference and reward model from \(call.arguments[0]).")
    }

    /// Reads and checks all three models, then installs them; on any error the session is unchanged.
    static func loadSession(_ session: Session, from path: String,
                            fileSystem: any FileSystem = SystemFileSystem()) throws {
        switch fileSystem.kind(of: path) {
        case .folder: break
        case .missing:
            throw CommandError("\(path): no such folder" + (SafeFile.missingFolderNote(path).map { " (\($0))" } ?? ""))
        case .regularFile: throw CommandError("\(path): is a file; `load` reads the folder `save` wrote")
        case let .special(what): throw CommandError("\(path): is \(what), not a folder")
        }
        let folder = URL(fileURLWithPath: path)
        let loaded = try checkpointFolders.map { name in
            (name, try CheckpointFolder.load(from: folder.appendingPathComponent(name), fileSystem: fileSystem))
        }
        let current = session.policy.model.config
        for (name, checkpoint) in loaded {
            if let problem = checkpoint.mismatch(tokenizer: session.tokenizer, contextLength: current.contextLength,
                                                 theirs: "this world's") {
                throw CommandError("\(path)/\(name): \(problem)")
            }
        }
        let widths = loaded.map { $0.1.model.config.embeddingWidth }
        guard Set(widths).count == 1 else {
            let list = zip(checkpointFolders, widths).map { "\($0) \($1)" }.joined(separator: ", ")
            throw CommandError("\(path): the three models must have one width (n_embd), found \(list)")
        }
        let (policy, reference, reward) = (loaded[0].1, loaded[1].1, loaded[2].1)
        guard policy.kind == .languageModel, reference.kind == .languageModel else {
            throw CommandError("\(path)/policy and \(path)/reference must be GPT2LMHeadModel folders")
        }
        let policyFolder = folder.appendingPathComponent(checkpointFolders[0])
        let width = policy.model.config.embeddingWidth
        guard let valueHead = try RLHFCheckpoint.loadValueHead(from: policyFolder, width: width,
                                                               fileSystem: fileSystem) else {
            throw CommandError("\(path)/policy has no value_head.safetensors")
        }
        guard let rewardHead = reward.scoreHead else {
            throw CommandError("\(path)/reward is not a reward model (no score head)")
        }
        session.install(policy: ActorCritic(model: policy.model, valueHead: valueHead), sft: reference.model,
                        reward: RewardModel(backbone: reward.model, head: rewardHead,
                                            eosID: session.tokenizer.eosID, padID: session.tokenizer.padID))
    }

    /// `export trace FILE` under PPO: the batch and its update steps (docs/ppo-trace.md).
    static func exportTrace(_ call: Invocation) throws {
        guard call.arguments.count == 2, call.arguments[0] == "trace" else { throw call.usageError() }
        let session = call.session
        guard let batch = session.batch else {
            throw CommandError("no batch yet: `batch N` collects one (then `update`)")
        }
        let path = call.arguments[1]
        let steps: Int
        // The batch's own settings (gamma, lam, kl_estimator, ...) with the update's from the session.
        let config = session.config.keepingBatchSettings(of: batch.config)
        if let iteration = session.lastIteration, iteration.batch == batch {
            try PPOTraceExport.write(iteration: iteration, config: config, tokenizer: session.tokenizer, to: path)
            steps = iteration.updates.count
        } else {
            let records = session.pendingUpdate.map { $0.batch == batch ? $0.records : [] } ?? []
            try PPOTraceExport.write(batch: batch, updates: records, config: config, tokenizer: session.tokenizer,
                                     to: path)
            steps = records.count
        }
        call.console.line("Wrote \(path): \(batch.rollouts.count) rollouts and \(steps) update "
            + "step\(steps == 1 ? "" : "s").")
        if let note = InspectCommands.settingsNote(batch: batch, session: session,
                                                   what: "the trace's config holds the batch's") {
            call.console.line(note)
        }
    }

    static let source = Command(
        "source", usage: "source FILE", summary: "run the commands in FILE (stops at its first error, with FILE:LINE)"
    ) { call in
        guard call.arguments.count == 1 else { throw call.usageError() }
        try call.interpreter.source(path: call.arguments[0], console: call.console)
    }
}
