import Foundation
import RLHFStages

/// `world DIR`: start over on another world; `reward_source`: what scores rollouts for PPO, GRPO
/// and RLOO, the reward model or the annotator's rule (the seam `RewardSource` in RLHFStages).
enum WorldCommands {
    static let all: [Command] = [world, rewardSource]

    static let world = Command(
        "world", usage: "world DIR",
        summary: "start over on the world in DIR (made by `rlhf world build`): its models, data and annotator",
        details: "Like `restart` on that world: default settings, seed 0; `restart` then comes back to it."
    ) { call in
        guard call.arguments.count == 1 else { throw call.usageError() }
        let folder = URL(fileURLWithPath: call.interpreter.resolve(call.arguments[0]))
        let (world, prompts) = try WorldLocation.load(folder: folder)
        call.session.restart(world: world, prompts: prompts, seed: 0)
        call.session.worldFolder = folder
        call.console.line("World \(world.recipe.name): \(world.recipe.about)")
        let source = call.session.rewardSource.description
        call.console.line("Rollouts are scored by \(source); settings at defaults, seed 0.")
    }

    static let rewardSource = Command(
        "reward_source", usage: "reward_source [model|rule]",
        summary: "what scores rollouts: the reward model (learnt) or the annotator's rule (a program)",
        details: """
            model: the reward model's score r_phi(x, y), learnt from the annotator's choices (RLHF).
            rule: the annotator's own score of the response, computed by a program (the gold score);
            in the arithmetic world an exact-match check of the answer. A world's recipe picks the
            start (`restart` goes back to it); the reward model's score is recorded beside the rule's.
            """,
        complete: { _, arguments in arguments.isEmpty ? RewardSource.allCases.map(\.rawValue) : [] }
    ) { call in
        try call.expectAtMost(1)
        let session = call.session
        if let word = call.arguments.first {
            guard let source = RewardSource(rawValue: word) else {
                throw call.usageError()
            }
            session.rewardSource = source
            session.algorithms.dropBatch()
            session.batch = nil
        }
        call.console.line("reward_source \(session.rewardSource.rawValue): \(session.rewardSource.description)")
    }
}
