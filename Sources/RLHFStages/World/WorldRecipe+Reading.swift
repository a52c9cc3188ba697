import Foundation
import RLHFEngine

extension WorldRecipe {
    /// Reads the recipe file at `path`.
    /// - Throws: `DataError` naming the file and, for a wrong value, its line.
    public static func read(path: String) throws -> WorldRecipe {
        let data: Data
        do { data = try SafeFile.read(path) } catch let error as FileError {
            throw DataError(file: path, line: nil, message: error.reason)
        }
        guard let text = UTF8Text.decode(data) else {
            throw DataError(file: path, line: nil, message: "not UTF-8 text")
        }
        return try read(text, file: path)
    }

    /// Reads a recipe from its text; `file` names it in errors.
    /// - Throws: `DataError` at the line of the first wrong, unknown, missing or out-of-range value.
    public static func read(_ source: String, file: String) throws -> WorldRecipe {
        let root = try RecipeNode.root(source, file: file)
        _ = try root.fields(known: ["name", "about", "seed", "vocabulary", "text", "annotator", "reward", "model",
                                    "pretraining", "sft", "preferences", "reward_model"])
        let vocabulary = try readVocabulary(root.required("vocabulary"))
        let text = try readText(root.required("text"), tokenizer: vocabulary.tokenizer)
        let taste = try readTaste(root.required("annotator"), vocabulary: vocabulary, text: text)
        let sourceNode = try root.required("reward")
        let rewardSource = RewardSource(rawValue: try sourceNode.choice(RewardSource.allCases.map(\.rawValue)))!
        var recipe = WorldRecipe(
            name: try root.string("name"), about: try root.string("about"),
            seed: UInt64(try root.int("seed", in: 0...Int.max)), vocabulary: vocabulary, text: text,
            taste: taste, rewardSource: rewardSource,
            model: try readModel(root.required("model"), vocabularySize: vocabulary.tokens.count), source: source)
        (recipe.pretrainingSteps, recipe.pretraining) = try readTraining(root.required("pretraining"))
        (recipe.sftSteps, recipe.sft) = try readTraining(root.required("sft"))
        let preferences = try root.required("preferences")
        _ = try preferences.fields(known: ["pairs", "held_out_fraction", "max_response_length", "attempts_per_pair"])
        recipe.preferencePairCount = try preferences.int("pairs", in: 2...100_000)
        recipe.preferenceHeldOutFraction = try preferences.double("held_out_fraction", in: 0...0.9)
        recipe.maxResponseLength = try preferences.int("max_response_length", in: 1...recipe.model.contextLength - 1)
        recipe.attemptsPerPair = try preferences.int("attempts_per_pair", in: 1...1000)
        let reward = try root.required("reward_model")
        let rewardTraining = try readTraining(reward, also: ["center_rewards_coefficient"])
        recipe.rewardSteps = rewardTraining.steps
        recipe.reward.learningRate = rewardTraining.config.learningRate
        recipe.reward.batchSize = rewardTraining.config.batchSize
        recipe.reward.maxGradNorm = rewardTraining.config.maxGradNorm
        recipe.reward.evaluationInterval = rewardTraining.config.evaluationInterval
        recipe.reward.centerRewardsCoefficient = try reward.optional("center_rewards_coefficient")
            .map { try $0.float(in: 0...1e6) }
        let longest = text.promptCompletions.map { prompt, completion in
            Tokenizer.pieces(prompt).count + Tokenizer.pieces(completion).count + 1
        }.max() ?? 0
        if longest > recipe.model.contextLength {
            throw try root.required("model").required("context_length")
                .error("a prompt, its completion and the end token take \(longest) tokens; the context is shorter")
        }
        return recipe
    }

    private static func readVocabulary(_ node: RecipeNode) throws -> WorldVocabulary {
        _ = try node.fields(known: ["pad_token", "eos_token", "tokens"])
        let tokensNode = try node.required("tokens")
        let tokens = try tokensNode.strings(count: 3...4096)
        let (pad, eos) = (try node.required("pad_token"), try node.required("eos_token"))
        for special in [pad, eos] where !tokens.contains(try special.string()) {
            throw special.error("\"\(try special.string())\" is not among the tokens")
        }
        let specials = [try pad.string(), try eos.string()]
        var seen = Set<String>()
        for (item, token) in zip(try tokensNode.items(), tokens) {
            // A word or a punctuation mark, as the tokenizer splits text; the special tokens stand apart.
            guard specials.contains(token) || Tokenizer.pieces(token) == [token] else {
                throw item.error("\"\(token)\" is not one lower-case word or mark")
            }
            guard seen.insert(token).inserted else { throw item.error("\"\(token)\" is listed twice") }
        }
        return WorldVocabulary(padToken: try pad.string(), eosToken: try eos.string(), tokens: tokens)
    }

    private static func readText(_ node: RecipeNode, tokenizer: Tokenizer) throws -> WorldText {
        _ = try node.fields(known: ["cases", "prompt_templates", "response_templates", "held_out_completions",
                                    "held_out_sft_prompts", "held_out_prompts"])
        let cases = try node.required("cases").items(count: 1...100_000).map { item -> [String: String] in
            guard case .object(let fields) = item.value else {
                throw item.error("expected an object, found \(item.value.typeName)")
            }
            return try fields.keys.sorted().reduce(into: [:]) { $0[$1] = try item.required($1).string() }
        }
        let prompts = try node.required("prompt_templates")
        let responses = try node.required("response_templates")
        var text = WorldText(
            cases: cases, promptTemplates: try prompts.strings(count: 1...10_000),
            responseTemplates: try responses.strings(count: 1...10_000),
            heldOutCompletions: try node.required("held_out_completions").strings(),
            heldOutPrompts: try node.required("held_out_prompts").strings())
        // Every filled template must be words of the vocabulary, with no slot left unfilled.
        for (templates, list) in [(prompts, text.promptTemplates), (responses, text.responseTemplates)] {
            let items = try templates.items()
            for (index, template) in list.enumerated() {
                let item = items[index]
                for values in cases {
                    let filled = WorldText.fill(template, values)
                    if filled.contains("{") { throw item.error("a slot in \"\(template)\" is not in every case") }
                    do { _ = try tokenizer.encode(filled, source: "") } catch TokenizerError.unknownWord(let word, _) {
                        throw item.error("\"\(word)\" (in \"\(filled)\") is not in the vocabulary")
                    }
                }
            }
        }
        let promptCompletions = text.promptCompletions  // filled once: they are all the examples
        let completions = Set(promptCompletions.map(\.completion))
        for item in try node.required("held_out_completions").items() where !completions.contains(try item.string()) {
            throw item.error("\"\(try item.string())\" is not one of the filled response templates")
        }
        let allPrompts = Set(text.allPrompts)
        if let list = try node.optional("held_out_sft_prompts") {
            for item in try list.items() where !allPrompts.contains(try item.string()) {
                throw item.error("\"\(try item.string())\" is not one of the filled prompt templates")
            }
            text.heldOutSFTPrompts = try list.strings()
        }
        let (heldOutSFT, heldOutSentences) = (Set(text.heldOutSFTPrompts), Set(text.heldOutCompletions))
        if !promptCompletions.contains(where: {
            !heldOutSFT.contains($0.prompt) && !heldOutSentences.contains($0.completion) }) {
            throw node.error("every SFT example is held out")
        }
        if text.heldOutCompletions.isEmpty && text.heldOutSFTPrompts.isEmpty {
            throw try node.required("held_out_completions")
                .error("hold out a completion or an SFT prompt, to measure SFT")
        }
        for item in try node.required("held_out_prompts").items() where !allPrompts.contains(try item.string()) {
            throw item.error("\"\(try item.string())\" is not one of the filled prompt templates")
        }
        let heldOutNode = try node.required("held_out_prompts")
        if text.trainingPrompts.isEmpty { throw heldOutNode.error("no prompt is left to train on") }
        if text.heldOutPrompts.isEmpty { throw heldOutNode.error("at least one prompt is needed") }
        return text
    }

    private static func readModel(_ node: RecipeNode, vocabularySize: Int) throws -> GPT2Config {
        _ = try node.fields(known: ["context_length", "embedding_width", "layer_count", "head_count",
                                    "layer_norm_epsilon", "initializer_range"])
        let width = try node.int("embedding_width", in: 1...1024)
        let heads = try node.required("head_count")
        let headCount = try heads.int(in: 1...64)
        guard width % headCount == 0 else { throw heads.error("\(headCount) heads do not divide the width \(width)") }
        return GPT2Config(vocabularySize: vocabularySize, contextLength: try node.int("context_length", in: 4...1024),
                          embeddingWidth: width, layerCount: try node.int("layer_count", in: 1...24),
                          headCount: headCount,
                          layerNormEpsilon: try node.float("layer_norm_epsilon", in: 1e-12...1),
                          initializerRange: try node.float("initializer_range", in: 0...1))
    }

    /// The keys every training section has (steps, learning_rate, batch_size, max_grad_norm,
    /// evaluation_interval), read into a `SupervisedConfig`; `also` names the section's other keys.
    private static func readTraining(_ node: RecipeNode,
                                     also: [String] = []) throws -> (steps: Int, config: SupervisedConfig) {
        // TRL's names, from their one declaration (the settings' `ConfigField`s use the same).
        let (learningRate, batchSize, maxGradNorm) = (SharedSettingName.learningRate, SharedSettingName.batchSize,
                                                      SharedSettingName.maxGradNorm)
        _ = try node.fields(known: ["steps", learningRate, batchSize, maxGradNorm, "evaluation_interval"] + also)
        var config = SupervisedConfig()
        config.learningRate = try node.float(learningRate, in: 0...1)
        config.batchSize = try node.int(batchSize, in: 1...4096)
        config.maxGradNorm = try node.float(maxGradNorm, in: 0...1e6)
        config.evaluationInterval = try node.int("evaluation_interval", in: 1...1_000_000)
        return (try node.int("steps", in: 0...1_000_000), config)
    }
}
