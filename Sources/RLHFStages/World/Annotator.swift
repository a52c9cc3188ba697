import RLHFEngine

/// The simulated human of the built-in world: it has a taste, scores any response on
/// its own scale (its "gold" utility), and labels pairs by preferring the higher score.
///
/// Its taste agrees with the seed article's example: for "Create a description for
/// Plantation Palms." it prefers "Enjoy some fun in the sun at Gulf Shores." (lively:
/// +3) to "A Tranquil Oasis of Natural Beauty." (sleepy: -2).
///
/// The flaw a policy can exploit: the reward model only ever sees the SFT model's
/// fluent sentences, in which a lively word appears once and words follow each other
/// naturally. It learns "more lively words is better" and nothing of the repetition,
/// unnatural word pairs and rambling the annotator punishes. A policy free of the KL
/// leash (beta = 0) piles up lively words into a word salad that the reward model
/// scores higher and higher while the annotator's gold score falls.
public struct Annotator: Sendable {
    /// Words the annotator likes, each worth +1 the first time it appears.
    public static let livelyWords: Set<String> = ["fun", "sun", "enjoy", "swim", "surf", "warm", "beach", "great", "!"]
    /// Words the annotator finds dull, each -1 every time.
    public static let sleepyWords: Set<String> = ["tranquil", "oasis", "quiet", "calm", "relax", "rest"]
    /// Words that may repeat without penalty.
    public static let functionWords: Set<String> = [
        "a", "the", "and", "of", "in", "at", "for", "to", "on", "by", "with", "is", "your", "some", ",", ".",
    ]
    /// Responses longer than this many tokens lose 0.5 per extra token.
    public static let comfortableLength = 12

    public let tokenizer: Tokenizer
    /// Every pair of neighbouring tokens that occurs in the world's natural text.
    private let naturalPairs: Set<String>

    public init(tokenizer: Tokenizer = WorldVocabulary.tokenizer) {
        self.tokenizer = tokenizer
        var pairs = Set<String>()
        for sentence in WorldText.naturalText {
            let words = Tokenizer.pieces(sentence)
            for (first, second) in zip(words, words.dropFirst()) { pairs.insert("\(first) \(second)") }
        }
        naturalPairs = pairs
    }

    /// The annotator's taste, in plain words.
    public static let tasteDescription = """
        The annotator likes lively holidays. Each of fun, sun, enjoy, swim, surf, warm, beach,
        great and "!" earns +1, counted once. It finds tranquil, oasis, quiet, calm, relax and
        rest dull: -1 each time. Naming the resort it asked about earns +1. It dislikes
        repetition (-1 for each repeat of a word other than a, the, and, of, in, at, for, to,
        on, by, with, is, your, some and punctuation), word pairs that never occur in
        natural text (-1 each), rambling (-0.5 per token past 12), and a response that does
        not end with "." or "!" before the end token (-2).
        """

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
        let lively = Annotator.livelyWords.intersection(words)
        if !lively.isEmpty {
            let words = lively.sorted().joined(separator: " ")
            terms.append(Term(reason: "lively: \(words)", points: Double(lively.count)))
        }
        let sleepy = words.filter { Annotator.sleepyWords.contains($0) }
        if !sleepy.isEmpty {
            terms.append(Term(reason: "dull: \(sleepy.joined(separator: " "))", points: -Double(sleepy.count)))
        }
        if let place = askedPlace(prompt), containsRun(words, Tokenizer.pieces(place)) {
            terms.append(Term(reason: "names \(place)", points: 1))
        }
        var seen = Set<String>()
        var repeats: [String] = []
        for word in words where !Annotator.functionWords.contains(word) {
            if !seen.insert(word).inserted { repeats.append(word) }
        }
        if !repeats.isEmpty {
            terms.append(Term(reason: "repeats: \(repeats.joined(separator: " "))", points: -Double(repeats.count)))
        }
        let unnatural = zip(words, words.dropFirst()).map { "\($0) \($1)" }.filter { !naturalPairs.contains($0) }
        if !unnatural.isEmpty {
            terms.append(Term(reason: "unnatural: \(unnatural.map { "\"\($0)\"" }.joined(separator: " "))",
                              points: -Double(unnatural.count)))
        }
        if words.count > Annotator.comfortableLength {
            terms.append(Term(reason: "rambles: \(words.count) tokens",
                              points: -0.5 * Double(words.count - Annotator.comfortableLength)))
        }
        if !endedWithEOS || !(words.last == "." || words.last == "!") {
            terms.append(Term(reason: endedWithEOS ? "no closing . or !" : "cut off before the end token", points: -2))
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

    /// The resort named in a prompt, if any.
    public func askedPlace(_ prompt: [Int]) -> String? {
        let words = tokenizer.strings(prompt)
        return WorldText.places.first { containsRun(words, Tokenizer.pieces($0)) }
    }

    private func containsRun(_ words: [String], _ run: [String]) -> Bool {
        guard !run.isEmpty, words.count >= run.count else { return false }
        return (0...(words.count - run.count)).contains { Array(words[$0..<($0 + run.count)]) == run }
    }
}
