/// The sentences of the built-in world, from which its corpus and its SFT data are made.
///
/// A prompt asks for copy about one of five resorts; a response is one sentence about
/// it. Some sentences are lively (fun, sun, swimming), some calm (quiet, tranquil),
/// so that a simulated annotator has something to prefer. `{place}` stands for the
/// resort named in the prompt.
public enum WorldText {
    /// The resorts, as they are written in prompts and responses.
    public static let places = ["plantation palms", "gulf shores", "coral bay", "pine lake", "sandy cove"]

    /// Ways to ask for copy; `{place}` is replaced by a resort.
    public static let promptTemplates = [
        "create a description for {place} .",
        "describe {place} .",
        "write an ad for {place} .",
    ]

    /// Response sentences. The first two are the seed article's own candidates.
    public static let responseTemplates = [
        "enjoy some fun in the sun at {place} .",
        "a tranquil oasis of natural beauty .",
        "swim and surf on the warm beach at {place} .",
        "{place} is a quiet place to relax .",
        "come to {place} for great food and warm nights .",
        "relax by the water and enjoy the views .",
        "{place} is perfect for your family .",
        "discover the natural beauty of {place} .",
        "enjoy the sun , the beach and great food !",
        "stay with your family on the beach at {place} .",
        "rest in a calm place by the water .",
        "come for the views , stay for the food .",
        "quiet days and calm nights at {place} .",
        "great fun for your family !",
        "swim in the warm water at {place} .",
        "a perfect place to rest and relax .",
        "warm days and great views at {place} !",
        "discover some quiet beauty by the water .",
    ]

    /// Places whose prompts are held out of PPO training, to measure generalisation.
    public static let heldOutPromptPairs: Set<String> = [
        "describe coral bay .",
        "write an ad for pine lake .",
        "create a description for sandy cove .",
    ]

    /// `template` with `{place}` filled in.
    public static func fill(_ template: String, place: String) -> String {
        template.replacingOccurrences(of: "{place}", with: place)
    }

    /// Every prompt: each template with each place, in a fixed order.
    public static var allPrompts: [String] {
        promptTemplates.flatMap { template in places.map { fill(template, place: $0) } }
    }

    /// The prompts PPO trains on.
    public static var trainingPrompts: [String] { allPrompts.filter { !heldOutPromptPairs.contains($0) } }

    /// The prompts held out from PPO training.
    public static var heldOutPrompts: [String] { allPrompts.filter { heldOutPromptPairs.contains($0) } }

    /// Every response sentence for every place (once for those that name no place) and
    /// every prompt, in a fixed order: the world's natural text, whose word pairs the
    /// annotator calls natural.
    public static var naturalText: [String] {
        var sentences: [String] = []
        for template in responseTemplates {
            if template.contains("{place}") {
                sentences += places.map { fill(template, place: $0) }
            } else {
                sentences.append(template)
            }
        }
        return sentences + allPrompts
    }

    /// Sentences no model is trained on, so that SFT's held-out loss measures generalisation:
    /// for the k-th response template that names a place, its sentence about place (k + 2) mod 5
    /// (so the seed article's "enjoy some fun in the sun at gulf shores ." stays in).
    /// Every template and every place still appears in training with the others; the held-out
    /// SFT examples are these sentences after each prompt that asks about their place.
    public static var heldOutCompletions: [(place: String, completion: String)] {
        let placeTemplates = responseTemplates.filter { $0.contains("{place}") }
        return placeTemplates.enumerated().map { index, template in
            let place = places[(index + 2) % places.count]
            return (place, fill(template, place: place))
        }
    }

    /// The pre-training corpus: the natural text without the held-out completions.
    public static var corpus: [String] {
        let heldOut = Set(heldOutCompletions.map(\.completion))
        return naturalText.filter { !heldOut.contains($0) }
    }
}
