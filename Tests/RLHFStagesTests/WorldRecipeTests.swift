import Foundation
import Testing
import RLHFStages

/// Recipe files: the shipped ones read, and each kind of mistake is one FILE:LINE error.
@Suite struct WorldRecipeTests {
    static let resort = WorldRecipe.shipped[0].text

    /// The resort recipe with `old` replaced by `new` (which must occur once).
    func edited(_ old: String, _ new: String) -> String {
        precondition(Self.resort.components(separatedBy: old).count == 2, "\(old) is not unique")
        return Self.resort.replacingOccurrences(of: old, with: new)
    }

    func error(_ text: String) -> DataError? {
        do { _ = try WorldRecipe.read(text, file: "r.json") } catch let error as DataError { return error } catch {}
        return nil
    }

    func line(of needle: String, in text: String) -> Int {
        (text.components(separatedBy: "\n").firstIndex { $0.contains(needle) } ?? -1) + 1
    }

    @Test func shippedRecipesRead() throws {
        #expect(WorldRecipe.builtIn.name == "resort")
        #expect(WorldRecipe.builtIn.vocabulary.tokens.count == 62)
        #expect(WorldRecipe.builtIn.text.corpus.count == 63)  // the lines of lessons/world/corpus.txt
        let arithmetic = try #require(try WorldRecipe.shipped(named: "arithmetic"))
        #expect(arithmetic.rewardSource == .rule)
        #expect(arithmetic.text.allPrompts.count == 36)
    }

    @Test func compiledInRecipeIsTheFileUnderLessons() throws {
        let lessons = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("lessons")
        for (name, text) in WorldRecipe.shipped {
            let file = try String(contentsOf: lessons.appendingPathComponent("recipes/\(name).json"), encoding: .utf8)
            #expect(file == text)
        }
        let copy = try String(contentsOf: lessons.appendingPathComponent("world/recipe.json"), encoding: .utf8)
        #expect(copy == Self.resort)
    }

    @Test("a Float setting is the Float nearest its decimal, not the Float nearest the Double nearest it")
    func floatRoundedOnce() throws {
        // Just past the midpoint of the Floats 0x3727C5AC and 0x3727C5AD: its Double is the midpoint itself,
        // which rounds to the even Float below; the decimal is nearer the one above.
        let decimal = "1.0000000202126102522015571594238281251e-5"
        #expect(Float(decimal)?.bitPattern == 0x3727_C5AD && Float(Double(decimal)!).bitPattern == 0x3727_C5AC)
        let text = edited("\"layer_norm_epsilon\": 1e-5", "\"layer_norm_epsilon\": \(decimal)")
        let recipe = try WorldRecipe.read(text, file: "r.json")
        #expect(recipe.model.layerNormEpsilon.bitPattern == 0x3727_C5AD)
    }

    @Test func wrongTypeNamesItsLine() {
        let text = edited("\"layer_count\": 2", "\"layer_count\": \"two\"")
        let expected = "model.layer_count: expected an integer, found a string"
        #expect(error(text)?.description == "r.json:\(line(of: "layer_count", in: text)): \(expected)")
    }

    @Test func unknownKeyNamesItsLine() {
        let text = edited("  \"seed\": 2024,", "  \"seed\": 2024,\n  \"colour\": 1,")
        let found = error(text)
        #expect(found?.line == line(of: "colour", in: text))
        #expect(found?.message.hasPrefix("colour: unknown key") == true)
    }

    @Test func missingKeyNamesItsObject() {
        let text = edited("\"sft\": {\"steps\": 300, ", "\"sft\": {")
        #expect(error(text)?.description == "r.json:\(line(of: "\"sft\": {", in: text)): sft: missing key \"steps\"")
    }

    @Test func outOfRangeNamesItsLine() {
        let text = edited("\"head_count\": 4", "\"head_count\": 0")
        #expect(error(text)?.description
                == "r.json:\(line(of: "head_count", in: text)): model.head_count: 0 is out of range 1...64")
    }

    @Test func wordOutsideTheVocabulary() {
        let text = edited("\"great fun for your family !\"", "\"great fun for your dog !\"")
        let found = error(text)
        #expect(found?.line == line(of: "your dog", in: text))
        #expect(found?.message.contains("\"dog\"") == true)
    }

    @Test func brokenJSONNamesItsLine() {
        let text = edited("\"seed\": 2024,", "\"seed\": 2024")
        #expect(error(text)?.line == line(of: "\"vocabulary\"", in: text))
    }

    @Test func exactMatchScoresOnlyTheAnswer() throws {
        let recipe = try #require(try WorldRecipe.shipped(named: "arithmetic"))
        let tokenizer = recipe.vocabulary.tokenizer
        let annotator = Annotator(taste: recipe.taste, text: recipe.text, tokenizer: tokenizer)
        let prompt = try tokenizer.encode("what is two plus three ?", source: "test")
        func gold(_ text: String) throws -> Double {
            annotator.goldScore(prompt: prompt, response: try tokenizer.encode(text, source: "test"))
        }
        #expect(try gold("five .") == 1)
        #expect(try gold("six .") == 0)
        #expect(try gold("five . five .") == 0)
        #expect(annotator.goldScore(prompt: prompt, response: try tokenizer.encode("five .", source: "t"),
                                    endedWithEOS: false) == 0)
    }

    @Test func arithmeticWorldRebuildsAsShipped() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("lessons/world-arithmetic")
        let recipe = try #require(try WorldRecipe.shipped(named: "arithmetic"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-arith-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try WorldStore.save(try WorldBuilder.build(recipe: recipe), to: folder)
        for name in ["recipe.json", "corpus.txt", "sft-train.jsonl", "preferences-train.jsonl",
                     "preferences-heldout.jsonl", "prompts-heldout.jsonl",
                     "base/model.safetensors", "sft/model.safetensors", "reward/model.safetensors"] {
            #expect(try Data(contentsOf: folder.appendingPathComponent(name))
                    == Data(contentsOf: shipped.appendingPathComponent(name)),
                    "\(name) differs from lessons/world-arithmetic (`rlhf world build --recipe ...`?)")
        }
    }
}
