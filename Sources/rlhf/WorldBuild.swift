import Foundation
import RLHFStages
import RLHFSimulator

/// `rlhf world build`: runs a recipe and reports each stage's progress.
enum WorldBuildReport {
    static func build(recipe: WorldRecipe, to folder: URL) throws {
        try WorldStore.requireSavable(to: folder)  // before the build, not after it
        let start = Date()
        var lastStage: WorldBuilder.Stage?
        print("recipe \(recipe.name): \(recipe.about)")
        let world = try WorldBuilder.build(recipe: recipe) { stage, event in
            if stage != lastStage {
                print("\(stage.rawValue):")
                lastStage = stage
            }
            if event.step % 50 == 0 || event.step == event.totalSteps {
                let metrics = event.metrics.map { "\($0.name) \(Format.fixed($0.value, 4))" }.joined(separator: "  ")
                print("  step \(event.step)/\(event.totalSteps)  \(metrics)")
            }
            return .proceed
        }
        try WorldStore.save(world, to: folder)
        print("wrote \(folder.path) in \(Format.fixed(Date().timeIntervalSince(start), 1)) s")
    }
}
