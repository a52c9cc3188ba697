import Foundation
import RLHFEngine
import RLHFSimulator
import RLHFStages
import Testing

/// A teacher's recipe in a temporary folder: `rlhf world build --recipe` builds it, and a lesson
/// script runs on it with `rlhf --world`, `restart` included; the build is the same bytes twice.
@Suite struct TeacherRecipeTests {
    /// A small customer-reply world: two cases, a taste of two rules, short training.
    static let recipe = """
        {
          "name": "replies",
          "about": "Replies to customers.",
          "seed": 7,
          "vocabulary": {"pad_token": "<pad>", "eos_token": "<eos>",
                         "tokens": ["<pad>", "<eos>", ".", "!", "reply", "to", "anna", "ben", "thanks", "sorry",
                                    "we", "will", "help", "soon", "hello"]},
          "text": {
            "cases": [{"name": "anna"}, {"name": "ben"}],
            "prompt_templates": ["reply to {name} ."],
            "response_templates": ["thanks {name} !", "sorry {name} .", "we will help soon .", "hello {name} ."],
            "held_out_completions": ["hello ben ."],
            "held_out_prompts": ["reply to ben ."]
          },
          "annotator": {
            "taste": ["Thanks earns +1; sorry -1; naming the customer +1."],
            "word_scores": [{"label": "warm", "points": 1, "counted": "once", "words": ["thanks"]},
                            {"label": "cold", "points": -1, "counted": "each", "words": ["sorry"]}],
            "names_asked": {"slot": "name", "points": 1}
          },
          "reward": "model",
          "model": {"context_length": 12, "embedding_width": 16, "layer_count": 1, "head_count": 2,
                    "layer_norm_epsilon": 1e-5, "initializer_range": 0.02},
          "pretraining": {"steps": 20, "learning_rate": 3e-3, "batch_size": 8, "max_grad_norm": 1.0,
                          "evaluation_interval": 10},
          "sft": {"steps": 20, "learning_rate": 1e-3, "batch_size": 8, "max_grad_norm": 1.0, "evaluation_interval": 10},
          "preferences": {"pairs": 20, "held_out_fraction": 0.2, "max_response_length": 6, "attempts_per_pair": 20},
          "reward_model": {"steps": 10, "learning_rate": 5e-4, "batch_size": 8, "max_grad_norm": 1.0,
                           "evaluation_interval": 5}
        }
        """

    @Test func teachersRecipeBuildsAndRunsALesson() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-teacher-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let recipeFile = folder.appendingPathComponent("replies.json")
        try Self.recipe.write(to: recipeFile, atomically: true, encoding: .utf8)
        let recipe = try WorldRecipe.read(path: recipeFile.path)
        let worldFolder = folder.appendingPathComponent("world")
        try WorldStore.save(try WorldBuilder.build(recipe: recipe), to: worldFolder)
        let again = folder.appendingPathComponent("again")
        try WorldStore.save(try WorldBuilder.build(recipe: recipe), to: again)
        for name in ["corpus.txt", "preferences-train.jsonl", "sft/model.safetensors", "reward/model.safetensors"] {
            #expect(try Data(contentsOf: worldFolder.appendingPathComponent(name))
                    == Data(contentsOf: again.appendingPathComponent(name)), "\(name) differs between two builds")
        }
        let lesson = folder.appendingPathComponent("lesson.txt")
        try "> A lesson on the replies desk.\ntaste\nprompt reply to anna .\nscore thanks anna !\nrestart\nvocab\n"
            .write(to: lesson, atomically: true, encoding: .utf8)
        let session = try WorldLocation.startSession(folder: worldFolder)
        let console = TextConsole()
        let result = Interpreter(session: session).runScript(
            lines: try String(contentsOf: lesson, encoding: .utf8).split(separator: "\n").map(String.init),
            name: lesson.path, console: console, folder: folder)
        #expect(result.errors.isEmpty)
        #expect(console.text.contains("Thanks earns +1; sorry -1; naming the customer +1."))
        #expect(console.text.contains("warm: thanks"))
        #expect(console.text.contains("names anna"))
        #expect(console.text.contains("14:hello"))
        #expect(session.tokenizer.tokens.count == 15)
    }

    @Test("held_out_fraction 0 still holds one pair out, and the world loads")
    func oneHeldOutPairAtLeast() throws {
        let text = Self.recipe.replacingOccurrences(of: "\"held_out_fraction\": 0.2", with: "\"held_out_fraction\": 0")
        #expect(text != Self.recipe)
        let world = try WorldBuilder.build(recipe: try WorldRecipe.read(text, file: "replies.json"))
        #expect(world.preferenceHeldOut.count == 1)
        #expect(world.preferenceTraining.count >= 1)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-held-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try WorldStore.save(world, to: folder)
        _ = try WorldLocation.startSession(folder: folder)
    }

    @Test("a recipe whose annotator tells no two samples apart is refused, not built into a world that traps")
    func noPairsToLabel() throws {
        // Taste alone: every response has the same gold score, so no pair can be labelled.
        let start = Self.recipe.range(of: "\"word_scores\"")!.lowerBound
        let end = Self.recipe.range(of: "\"points\": 1}\n")!.upperBound
        let text = Self.recipe.replacingCharacters(in: start..<end, with: "\"word_scores\": []\n")
        let recipe = try WorldRecipe.read(text, file: "replies.json")
        let error = #expect(throws: WorldBuildError.self) { try WorldBuilder.build(recipe: recipe) }
        #expect(error?.description.hasPrefix("recipe replies: the annotator labelled 0 pairs of the SFT model's "
                                             + "samples in 400 attempts; a world needs at least 2") == true,
                "\(String(describing: error))")
    }
}
