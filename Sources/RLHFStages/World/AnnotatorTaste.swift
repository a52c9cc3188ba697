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
    public var namesAsked: NamesAsked?
    /// Points per repeat of a word outside `exempt`.
    public var repetition: Repetition?
    /// Points per pair of neighbouring tokens that never occurs in the world's natural text.
    public var unnaturalPairPoints: Double?
    /// Points per token past `comfortable` tokens.
    public var length: Length?
    /// Points when the response does not end with one of `tokens` before the end token (or is cut off).
    public var ending: Ending?
    /// An answer checked by a program: `correct` points when the response is exactly one of the
    /// completions that answer its prompt, `wrong` otherwise.
    public var exactMatch: ExactMatch?

    public struct NamesAsked: Sendable, Equatable { public var slot: String, points: Double }
    public struct Repetition: Sendable, Equatable { public var points: Double, exempt: Set<String> }
    public struct Length: Sendable, Equatable { public var comfortable: Int, pointsPerExtraToken: Double }
    public struct Ending: Sendable, Equatable { public var tokens: [String], points: Double }
    public struct ExactMatch: Sendable, Equatable { public var correct: Double, wrong: Double }

    public init(description: String) { self.description = description }
}
