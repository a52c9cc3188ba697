import Foundation
import RLHFEngine
import RLHFStages

/// Saving and loading models in the Hugging Face layout, and running command files.
enum FileCommands {
    static let all: [Command] = [save, load, export, source]

    static let save = Command(
        "save", usage: "save DIR",
        summary: "save DIR/policy (with its value head), DIR/reference and DIR/reward as Hugging Face folders",
        details: "DIR/policy and DIR/reference load as GPT2LMHeadModel, DIR/reward as GPT2ForSequenceClassification;\nthe value head is in DIR/policy/value_head.safetensors under TRL's names."
    ) { call in
        guard call.arguments.count == 1 else { throw CommandError("usage: save DIR") }
        let session = call.session
        let folder = URL(fileURLWithPath: call.arguments[0])
        try CheckpointFolder.save(model: session.policy.model, tokenizer: session.tokenizer,
                                  valueHead: session.policy.valueHead, to: folder.appendingPathComponent("policy"))
        try CheckpointFolder.save(model: session.sft, tokenizer: session.tokenizer, to: folder.appendingPathComponent("reference"))
        try CheckpointFolder.saveRewardModel(model: session.reward.backbone, rewardHead: session.reward.head,
                                             tokenizer: session.tokenizer, to: folder.appendingPathComponent("reward"))
        call.console.line("Saved \(call.arguments[0])/policy, \(call.arguments[0])/reference and \(call.arguments[0])/reward.")
    }

    static let load = Command(
        "load", usage: "load DIR", summary: "load DIR/policy, DIR/reference and DIR/reward (as written by `save`)"
    ) { call in
        guard call.arguments.count == 1 else { throw CommandError("usage: load DIR") }
        let session = call.session
        let folder = URL(fileURLWithPath: call.arguments[0])
        // Everything is read and checked before anything in the session changes.
        let policy = try CheckpointFolder.load(from: folder.appendingPathComponent("policy"))
        let reference = try CheckpointFolder.load(from: folder.appendingPathComponent("reference"))
        let reward = try CheckpointFolder.load(from: folder.appendingPathComponent("reward"))
        for loaded in [policy, reference, reward] where loaded.tokenizer.tokens != session.tokenizer.tokens {
            throw CommandError("\(call.arguments[0]): its vocabulary differs from this world's")
        }
        guard let valueHead = policy.valueHead else {
            throw CommandError("\(call.arguments[0])/policy has no value_head.safetensors")
        }
        guard let rewardHead = reward.rewardHead else {
            throw CommandError("\(call.arguments[0])/reward is not a reward model (no score head)")
        }
        session.install(policy: ActorCritic(model: policy.model, valueHead: valueHead), sft: reference.model,
                        reward: RewardModel(backbone: reward.model, head: rewardHead,
                                            eosID: session.tokenizer.eosID, padID: session.tokenizer.padID))
        call.console.line("Loaded the policy, reference and reward model from \(call.arguments[0]).")
    }

    static let export = Command(
        "export", usage: "export trace FILE | export dpo FILE [PAIRS]",
        summary: "write the last batch and its update (every per-token number), or DPO on pairs, as JSON",
        details: "The schema is in docs/ppo-trace.md: config under TRL's names, rollouts[] with log-probs, KL,\nrewards, advantages and returns per token, updates[] with each Adam step's ratios and losses.\n`export dpo FILE [PAIRS]`: DPO on PAIRS or the held-out pairs, per token (docs/dpo.md).",
        complete: { _, arguments in arguments.isEmpty ? ["trace", "dpo"] : [] }
    ) { call in
        if call.arguments.first == "dpo" { return try DPOCommands.export(call) }
        guard call.arguments.count == 2, call.arguments[0] == "trace" else { throw CommandError("usage: export trace FILE") }
        let session = call.session
        guard let batch = session.batch else { throw CommandError("no batch yet: `batch N` collects one (then `update`)") }
        let path = call.arguments[1]
        let steps: Int
        if let iteration = session.lastIteration, iteration.batch == batch {
            try PPOTraceExport.write(iteration: iteration, config: session.config, tokenizer: session.tokenizer, to: path)
            steps = iteration.updates.count
        } else {
            let records = session.pendingUpdate.map { $0.batch == batch ? $0.records : [] } ?? []
            try PPOTraceExport.write(batch: batch, updates: records, config: session.config, tokenizer: session.tokenizer, to: path)
            steps = records.count
        }
        call.console.line("Wrote \(path): \(batch.rollouts.count) rollouts and \(steps) update step\(steps == 1 ? "" : "s").")
    }

    static let source = Command(
        "source", usage: "source FILE", summary: "run the commands in FILE (stops at its first error, with FILE:LINE)"
    ) { call in
        guard call.arguments.count == 1 else { throw CommandError("usage: source FILE") }
        try call.interpreter.source(path: call.arguments[0], console: call.console)
    }
}
