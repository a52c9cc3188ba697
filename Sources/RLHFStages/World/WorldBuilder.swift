import RLHFEngine

/// A world: its recipe, tokenizer, annotator, three trained models and the data they were trained on.
public struct World {
    public let recipe: WorldRecipe
    public let tokenizer: Tokenizer
    public let annotator: Annotator
    public let base: GPT2
    public let sft: GPT2
    public let reward: RewardModel
    public let sftTraining: [SFTExample]
    public let sftHeldOut: [SFTExample]
    public let preferenceTraining: [PreferencePair]
    public let preferenceHeldOut: [PreferencePair]
}

/// Why a recipe built no world.
public struct WorldBuildError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Builds a world from a recipe: pre-train a base model on the corpus, fine-tune it
/// on prompt/completion pairs, let the annotator label pairs of the SFT model's own
/// samples, and train a reward model on those labels.
public enum WorldBuilder {
    /// The stage a progress event belongs to (labelling reports no events).
    public enum Stage: String, Sendable { case pretraining, sft, labelling, reward }

    /// - Parameters:
    ///   - progress: called after every training step of a stage.
    ///   - starting: called as each stage begins (for timing them).
    /// - Throws: `WorldBuildError` when the annotator labels fewer than two pairs: the reward model needs one
    ///   to train on and one held out.
    public static func build(
        recipe: WorldRecipe = WorldRecipe(),
        progress: (Stage, TrainingEvent) -> TrainingControl = { _, _ in .proceed },
        starting: (Stage) -> Void = { _ in }
    ) throws -> World {
        let tokenizer = recipe.vocabulary.tokenizer
        let annotator = Annotator(taste: recipe.taste, text: recipe.text, tokenizer: tokenizer)
        var random = RandomGenerator(seed: recipe.seed)

        // 1. Pre-training: every corpus sentence, its first word as context.
        let corpus = recipe.text.corpus.map { sentence -> PromptResponse in
            let ids = try! tokenizer.encode(sentence, source: "the recipe's corpus")
            return PromptResponse(prompt: [ids[0]], response: Array(ids.dropFirst()))
        }
        starting(.pretraining)
        let base = GPT2(config: recipe.model, random: &random)
        _ = SupervisedTrainer(model: base, tokenizer: tokenizer, config: recipe.pretraining)
            .train(training: corpus, heldOut: [], steps: recipe.pretrainingSteps, random: &random) {
                progress(.pretraining, $0)
            }

        // 2. Supervised fine-tuning on every (prompt, response) combination but the held-out ones.
        starting(.sft)
        let (sftTraining, sftHeldOut) = sftExamples(text: recipe.text, tokenizer: tokenizer, random: &random)
        let sft = base.copy()
        _ = SupervisedTrainer(model: sft, tokenizer: tokenizer, config: recipe.sft)
            .train(training: sftTraining.map(\.tokens), heldOut: sftHeldOut.map(\.tokens),
                   steps: recipe.sftSteps, random: &random) { progress(.sft, $0) }

        // 3. The annotator labels pairs of the SFT model's samples.
        starting(.labelling)
        let pairs = labelledPairs(model: sft, annotator: annotator, count: recipe.preferencePairCount,
                                  attempts: recipe.preferencePairCount * recipe.attemptsPerPair,
                                  maxLength: recipe.maxResponseLength, random: &random)
        guard pairs.count >= 2 else {
            throw WorldBuildError(description: "recipe \(recipe.name): the annotator labelled \(pairs.count) "
                + "pair\(pairs.count == 1 ? "" : "s") of the SFT model's samples in "
                + "\(recipe.preferencePairCount * recipe.attemptsPerPair) attempts; a world needs at least 2 (one to "
                + "train the reward model on, one held out): two distinct complete samples that read back from "
                + "their text and whose gold scores differ")
        }
        // round(count x held_out_fraction), but at least one pair on each side.
        let rounded = Int((Double(pairs.count) * recipe.preferenceHeldOutFraction).rounded())
        let heldOutCount = min(max(1, rounded), pairs.count - 1)
        let preferenceHeldOut = Array(pairs.prefix(heldOutCount))
        let preferenceTraining = Array(pairs.dropFirst(heldOutCount))

        // 4. The reward model, starting from the SFT model.
        starting(.reward)
        let reward = RewardModel(initialisedFrom: sft, tokenizer: tokenizer, random: &random)
        _ = RewardTrainer(model: reward, config: recipe.reward)
            .train(training: preferenceTraining, heldOut: preferenceHeldOut, steps: recipe.rewardSteps,
                   random: &random) { progress(.reward, $0) }

        return World(recipe: recipe, tokenizer: tokenizer, annotator: annotator, base: base, sft: sft, reward: reward,
                     sftTraining: sftTraining, sftHeldOut: sftHeldOut,
                     preferenceTraining: preferenceTraining, preferenceHeldOut: preferenceHeldOut)
    }

    /// Every prompt paired with every response for its case, shuffled. The held-out part is each
    /// held-out completion (`WorldText.heldOutCompletions`) after each prompt of its case, and every
    /// example of a held-out SFT prompt: examples the SFT model never trains on, so its held-out loss
    /// measures generalisation rather than recall.
    static func sftExamples(text: WorldText, tokenizer: Tokenizer,
                            random: inout RandomGenerator) -> ([SFTExample], [SFTExample]) {
        let heldOutCompletions = Set(text.heldOutCompletions)
        let heldOutPrompts = Set(text.heldOutSFTPrompts)
        let examples = text.promptCompletions.map { prompt, completion in
            let ids = PromptResponse(prompt: try! tokenizer.encode(prompt, source: "the recipe's SFT set"),
                                     response: try! tokenizer.encode(completion, source: "the recipe's SFT set"))
            return SFTExample(promptText: prompt, completionText: completion, tokens: ids)
        }
        let shuffled = random.shuffled(examples)
        func heldOut(_ example: SFTExample) -> Bool {
            heldOutCompletions.contains(example.completionText) || heldOutPrompts.contains(example.promptText)
        }
        return (shuffled.filter { !heldOut($0) }, shuffled.filter(heldOut))
    }

    /// Pairs of distinct SFT samples for random prompts, labelled by the annotator.
    /// Pairs it cannot tell apart (equal gold scores) are skipped, and so are a pair with a response that did
    /// not end with EOS, is empty, or would not come back from its text (see `readsBack`), and a pair already
    /// labelled (in either order): each pair appears once, so no held-out pair is also trained on.
    static func labelledPairs(model: GPT2, annotator: Annotator, count: Int, attempts maxAttempts: Int,
                              maxLength: Int, random: inout RandomGenerator) -> [PreferencePair] {
        let tokenizer = annotator.tokenizer
        let prompts = annotator.text.allPrompts.map { try! tokenizer.encode($0, source: "the recipe's prompts") }
        var pairs: [PreferencePair] = []
        var labelled = Set<[[Int]]>()  // [prompt, the two responses in lexicographic order]
        var attempts = 0
        // One decoder for every sample, and each prompt's key/value cache computed once (`Generator`:
        // the same samples from the same draws as `model.generate`).
        let generator = Generator(model: model)
        // The pairs are stored as text: a response that does not read back as the same ids (one that holds
        // the pad token, which decodes to nothing) would load as another response, or as none.
        func readsBack(_ response: [Int]) -> Bool {
            (try? tokenizer.encode(tokenizer.decode(response), source: "a sample")) == response
        }
        while pairs.count < count && attempts < maxAttempts {
            attempts += 1
            let prompt = prompts[random.nextInt(below: prompts.count)]
            let first = generator.generate(prompt: prompt, maxNewTokens: maxLength, eosID: tokenizer.eosID,
                                           sampler: Sampler(), random: &random)
            let second = generator.generate(prompt: prompt, maxNewTokens: maxLength, eosID: tokenizer.eosID,
                                            sampler: Sampler(), random: &random)
            // Only complete responses are labelled; the EOS is part of the model input, not the text.
            guard first.endedWithEOS, second.endedWithEOS else { continue }
            let (a, b) = (Array(first.tokens.dropLast()), Array(second.tokens.dropLast()))
            guard a != b, !a.isEmpty, !b.isEmpty, readsBack(a), readsBack(b),
                  labelled.insert([prompt] + (a.lexicographicallyPrecedes(b) ? [a, b] : [b, a])).inserted,
                  let choice = annotator.choose(prompt: prompt, a, b) else { continue }
            let (chosen, rejected) = choice == 0 ? (a, b) : (b, a)
            pairs.append(PreferencePair(
                promptText: tokenizer.decode(prompt), chosenText: tokenizer.decode(chosen),
                rejectedText: tokenizer.decode(rejected),
                chosen: PromptResponse(prompt: prompt, response: chosen),
                rejected: PromptResponse(prompt: prompt, response: rejected)))
        }
        return pairs
    }
}
