import RLHFEngine

/// The simulated human of a world: it has a taste (`AnnotatorTaste`, from the recipe), scores
/// any response on its own scale (its "gold" utility), and labels pairs by preferring the higher score.
///
/// The built-in world's taste agrees with the seed article's example: for "Create a description for
/// Plantation Palms." it prefers "Enjoy some fun in the sun at Gulf Shores." (lively: +3) to
/// "A Tranquil Oasis of Natural Beauty." (sleepy: -2).
///
/// The flaw a policy can exploit there: the reward model only ever sees the SFT model's
/// fluent sentences, in which a lively word appears once and words follow each other
/// naturally. It learns "more lively words is better" and nothing of the repetition,
/// unnatural word pairs and rambling the annotator punishes. A policy free of the KL
/// leash (beta = 0) piles up lively words into a word salad that the reward model
/// scores higher and higher while the annotator's gold score falls.
public struct Annotator: Sendable {
    public let tokenizer: Tokenizer
    public let taste: AnnotatorTaste
    public let text: WorldText
    /// Every pair of neighbouring tokens that occurs in the world's natural text.
    private let naturalPairs: Set<String>
    /// The values of the slot `namesAsked` looks for, in case order.
    private let askable: [String]
    /// Each of `taste.wordScores`' word lists as a set, built once.
    private let wordSets: [Set<String>]
    /// For `exactMatch`: each prompt's words, and the words of every completion that answers it.
    private let answers: [[String]: [[String]]]

    /// The built-in world's annotator.
    public init(tokenizer: Tokenizer = WorldVocabulary.tokenizer) {
        self.init(taste: WorldRecipe.builtIn.taste, text: WorldRecipe.builtIn.text, tokenizer: tokenizer)
    }

    public init(taste: AnnotatorTaste, text: WorldText, tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
        self.taste = taste
        self.text = text
        var pairs = Set<String>()
        for sentence in text.naturalText {
            let words = Tokenizer.pieces(sentence)
            for (first, second) in zip(words, words.dropFirst()) { pairs.insert("\(first) \(second)") }
        }
        naturalPairs = pairs
        wordSets = taste.wordScores.map { Set($0.words) }
        askable = taste.namesAsked.map { text.values(of: $0.slot) } ?? []
        var answers: [[String]: [[String]]] = [:]
        if taste.exactMatch != nil {
            for (prompt, completion) in text.promptCompletions {
                answers[Tokenizer.pieces(prompt), default: []].append(Tokenizer.pieces(completion))
            }
        }
        self.answers = answers
    }

    /// The annotator's taste, in plain words.
    public var tasteDescription: String { taste.description }

    /// One line of the score's breakdown.
    public struct Term: Equatable, Sendable {
        public let reason: String
        public let points: Double
    }

    /// The gold score of `response` (token ids, without EOS) to `prompt`, term by term.
    /// - Parameter endedWithEOS: false when the response was cut off at the maximum length.
    public func breakdown(prompt: [Int], response: [Int], endedWithEOS: Bool = true) -> [Term] {
        let words = tokenizer.strings(response)
        var terms: [Term] = []
        for (group, members) in zip(taste.wordScores, wordSets) {
            let found = group.countedOnce ? members.intersection(words).sorted() : words.filter { members.contains($0) }
            if !found.isEmpty {
                terms.append(Term(reason: "\(group.label): \(found.joined(separator: " "))",
                                  points: group.points * Double(found.count)))
            }
        }
        if let rule = taste.namesAsked, let place = askedPlace(prompt), containsRun(words, Tokenizer.pieces(place)) {
            terms.append(Term(reason: "names \(place)", points: rule.points))
        }
        if let rule = taste.repetition {
            var seen = Set<String>()
            var repeats: [String] = []
            for word in words where !rule.exempt.contains(word) {
                if !seen.insert(word).inserted { repeats.append(word) }
            }
            if !repeats.isEmpty {
                terms.append(Term(reason: "repeats: \(repeats.joined(separator: " "))",
                                  points: rule.points * Double(repeats.count)))
            }
        }
        if let points = taste.unnaturalPairPoints {
            let unnatural = zip(words, words.dropFirst()).map { "\($0) \($1)" }.filter { !naturalPairs.contains($0) }
            if !unnatural.isEmpty {
                terms.append(Term(reason: "unnatural: \(unnatural.map { "\"\($0)\"" }.joined(separator: " "))",
                                  points: points * Double(unnatural.count)))
            }
        }
        if let rule = taste.length, words.count > rule.comfortable {
            terms.append(Term(reason: "rambles: \(words.count) tokens",
                              points: rule.pointsPerExtraToken * Double(words.count - rule.comfortable)))
        }
        if let rule = taste.ending, !endedWithEOS || !rule.tokens.contains(words.last ?? "") {
            let reason = endedWithEOS ? "no closing \(rule.tokens.joined(separator: " or "))"
                : "cut off before the end token"
            terms.append(Term(reason: reason, points: rule.points))
        }
        if let rule = taste.exactMatch {
            // Exact match: the response's tokens are one of the prompt's answers, ended by EOS.
            let answers = self.answers[tokenizer.strings(prompt)] ?? []
            let correct = endedWithEOS && answers.contains(words)
            let expected = answers.first.map { $0.joined(separator: " ") } ?? "none"
            terms.append(Term(reason: correct ? "correct: \(expected)" : "wrong: expected \(expected)",
                              points: correct ? rule.correct : rule.wrong))
        }
        return terms
    }

    /// The gold score: the sum of `breakdown`.
    public func goldScore(prompt: [Int], response: [Int], endedWithEOS: Bool = true) -> Double {
        breakdown(prompt: prompt, response: response, endedWithEOS: endedWithEOS).reduce(0) { $0 + $1.points }
    }

    /// Which of two responses the annotator prefers: 0 or 1, or nil when it cannot tell
    /// them apart (equal gold scores).
    public func choose(prompt: [Int], _ first: [Int], _ second: [Int]) -> Int? {
        let (a, b) = (goldScore(prompt: prompt, response: first), goldScore(prompt: prompt, response: second))
        if a == b { return nil }
        return a > b ? 0 : 1
    }

    /// The value of the `namesAsked` slot (the resort) named in a prompt, if any.
    public func askedPlace(_ prompt: [Int]) -> String? {
        let words = tokenizer.strings(prompt)
        return askable.first { containsRun(words, Tokenizer.pieces($0)) }
    }

    private func containsRun(_ words: [String], _ run: [String]) -> Bool {
        guard !run.isEmpty, words.count >= run.count else { return false }
        return (0...(words.count - run.count)).contains { Array(words[$0..<($0 + run.count)]) == run }
    }
}
