import RLHFEngine

/// The built-in world: its tokenizer, its three trained models and the data they
/// were trained on.
public struct World {
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

/// Builds the world from a recipe: pre-train a base model on the corpus, fine-tune it
/// on prompt/completion pairs, let the annotator label pairs of the SFT model's own
/// samples, and train a reward model on those labels.
public enum WorldBuilder {
    /// The stage a progress event belongs to.
    public enum Stage: String, Sendable { case pretraining, sft, reward }

    public static func build(
        recipe: WorldRecipe = WorldRecipe(),
        progress: (Stage, TrainingEvent) -> TrainingControl = { _, _ in .proceed }
    ) -> World {
        let tokenizer = WorldVocabulary.tokenizer
        let annotator = Annotator(tokenizer: tokenizer)
        var random = RandomGenerator(seed: recipe.seed)

        // 1. Pre-training: every corpus sentence, its first word as context.
        let corpus = WorldText.corpus.map { sentence -> PromptResponse in
            let ids = try! tokenizer.encode(sentence, source: "the built-in corpus")
            return PromptResponse(prompt: [ids[0]], response: Array(ids.dropFirst()))
        }
        let base = GPT2(config: recipe.model, random: &random)
        _ = SupervisedTrainer(model: base, tokenizer: tokenizer, config: recipe.pretraining)
            .train(training: corpus, heldOut: [], steps: recipe.pretrainingSteps, random: &random) {
                progress(.pretraining, $0)
            }

        // 2. Supervised fine-tuning on every (prompt, response) combination but the held-out sentences.
        let (sftTraining, sftHeldOut) = sftExamples(tokenizer: tokenizer, random: &random)
        let sft = base.copy()
        _ = SupervisedTrainer(model: sft, tokenizer: tokenizer, config: recipe.sft)
            .train(training: sftTraining.map(\.tokens), heldOut: sftHeldOut.map(\.tokens),
                   steps: recipe.sftSteps, random: &random) { progress(.sft, $0) }

        // 3. The annotator labels pairs of the SFT model's samples.
        let pairs = labelledPairs(model: sft, annotator: annotator, count: recipe.preferencePairCount,
                                  maxLength: recipe.maxResponseLength, random: &random)
        let heldOutCount = Int((Double(pairs.count) * recipe.preferenceHeldOutFraction).rounded())
        let preferenceHeldOut = Array(pairs.prefix(heldOutCount))
        let preferenceTraining = Array(pairs.dropFirst(heldOutCount))

        // 4. The reward model, starting from the SFT model.
        let reward = RewardModel(initialisedFrom: sft, tokenizer: tokenizer, random: &random)
        _ = RewardTrainer(model: reward, config: recipe.reward)
            .train(training: preferenceTraining, heldOut: preferenceHeldOut, steps: recipe.rewardSteps,
                   random: &random) { progress(.reward, $0) }

        return World(tokenizer: tokenizer, annotator: annotator, base: base, sft: sft, reward: reward,
                     sftTraining: sftTraining, sftHeldOut: sftHeldOut,
                     preferenceTraining: preferenceTraining, preferenceHeldOut: preferenceHeldOut)
    }

    /// Every prompt paired with every response sentence for its resort, shuffled. The held-out
    /// part is each held-out completion (`WorldText.heldOutCompletions`) after each prompt about
    /// its resort: sentences the SFT model never trained on, so its held-out loss measures
    /// generalisation rather than recall.
    static func sftExamples(tokenizer: Tokenizer, random: inout RandomGenerator) -> ([SFTExample], [SFTExample]) {
        let heldOutCompletions = Set(WorldText.heldOutCompletions.map(\.completion))
        var examples: [SFTExample] = []
        for template in WorldText.promptTemplates {
            for place in WorldText.places {
                let prompt = WorldText.fill(template, place: place)
                for response in WorldText.responseTemplates {
                    let completion = WorldText.fill(response, place: place)
                    let source = "the built-in SFT set"
                    let ids = PromptResponse(prompt: try! tokenizer.encode(prompt, source: source),
                                             response: try! tokenizer.encode(completion, source: source))
                    examples.append(SFTExample(promptText: prompt, completionText: completion, tokens: ids))
                }
            }
        }
        let shuffled = random.shuffled(examples)
        return (shuffled.filter { !heldOutCompletions.contains($0.completionText) },
                shuffled.filter { heldOutCompletions.contains($0.completionText) })
    }

    /// Pairs of distinct SFT samples for random prompts, labelled by the annotator.
    /// Pairs it cannot tell apart (equal gold scores) are skipped, and so is a pair already
    /// labelled (in either order): each pair appears once, so no held-out pair is also trained on.
    static func labelledPairs(model: GPT2, annotator: Annotator, count: Int, maxLength: Int,
                              random: inout RandomGenerator) -> [PreferencePair] {
        let tokenizer = annotator.tokenizer
        let prompts = WorldText.allPrompts.map { try! tokenizer.encode($0, source: "the built-in prompts") }
        var pairs: [PreferencePair] = []
        var labelled = Set<[[Int]]>()  // [prompt, the two responses in lexicographic order]
        var attempts = 0
        while pairs.count < count && attempts < count * 20 {
            attempts += 1
            let prompt = prompts[random.nextInt(below: prompts.count)]
            let first = model.generate(prompt: prompt, maxNewTokens: maxLength, eosID: tokenizer.eosID,
                                       sampler: Sampler(), random: &random)
            let second = model.generate(prompt: prompt, maxNewTokens: maxLength, eosID: tokenizer.eosID,
                                        sampler: Sampler(), random: &random)
            // Only complete responses are labelled; the EOS is part of the model input, not the text.
            guard first.endedWithEOS, second.endedWithEOS else { continue }
            let (a, b) = (Array(first.tokens.dropLast()), Array(second.tokens.dropLast()))
            guard a != b, !a.isEmpty, !b.isEmpty,
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
