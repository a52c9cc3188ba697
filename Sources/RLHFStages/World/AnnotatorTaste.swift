/// What a world's annotator scores (the recipe's `annotator` section): each rule is optional,
/// and the gold score of a response is the sum of the rules' points.
public struct AnnotatorTaste: Sendable, Equatable {
    /// The taste in plain words, as `taste` prints it.
    public var description: String
    /// A group of words worth `points` each: counted once per distinct word, or at each occurrence.
    public struct WordScore: Sendable, Equatable {
        public var label: String
        public var points: Double
        public var countedOnce: Bool
        public var words: [String]
    }
    public var wordScores: [WordScore] = []
    /// Points for naming the value of slot `slot` that the prompt asked about (the resort).
    public var namesAsked: (slot: String, points: Double)?
    /// Points per repeat of a word outside `exempt`.
    public var repetition: (points: Double, exempt: Set<String>)?
    /// Points per pair of neighbouring tokens that never occurs in the world's natural text.
    public var unnaturalPairPoints: Double?
    /// Points per token past `comfortable` tokens.
    public var length: (comfortable: Int, pointsPerExtraToken: Double)?
    /// Points when the response does not end with one of `tokens` before the end token (or is cut off).
    public var ending: (tokens: [String], points: Double)?
    /// An answer checked by a program: `correct` points when the response is exactly one of the
    /// completions that answer its prompt, `wrong` otherwise.
    public var exactMatch: (correct: Double, wrong: Double)?

    public init(description: String) { self.description = description }

    public static func == (a: AnnotatorTaste, b: AnnotatorTaste) -> Bool {
        a.description == b.description && a.wordScores == b.wordScores
            && a.namesAsked?.slot == b.namesAsked?.slot && a.namesAsked?.points == b.namesAsked?.points
            && a.repetition?.points == b.repetition?.points && a.repetition?.exempt == b.repetition?.exempt
            && a.unnaturalPairPoints == b.unnaturalPairPoints
            && a.length?.comfortable == b.length?.comfortable
            && a.length?.pointsPerExtraToken == b.length?.pointsPerExtraToken
            && a.ending?.tokens == b.ending?.tokens && a.ending?.points == b.ending?.points
            && a.exactMatch?.correct == b.exactMatch?.correct && a.exactMatch?.wrong == b.exactMatch?.wrong
    }
}
