extension WorldRecipe {
    /// The recipe's `annotator` section: every rule optional, each word checked against the vocabulary.
    static func readTaste(_ node: RecipeNode, vocabulary: WorldVocabulary, text: WorldText) throws -> AnnotatorTaste {
        _ = try node.fields(known: ["taste", "word_scores", "names_asked", "repetition", "unnatural_pair_points",
                                    "length", "ending", "exact_match"])
        let points: ClosedRange<Double> = -1000...1000
        let known = Set(vocabulary.tokens)
        func words(_ list: RecipeNode) throws -> [String] {
            let items = try list.items()
            for item in items where !known.contains(try item.string()) {
                throw item.error("\"\(try item.string())\" is not in the vocabulary")
            }
            return try items.map { try $0.string() }
        }
        let description = try node.required("taste").strings(count: 1...100).joined(separator: "\n")
        var taste = AnnotatorTaste(description: description)
        for group in try node.optional("word_scores")?.items() ?? [] {
            _ = try group.fields(known: ["label", "points", "counted", "words"])
            taste.wordScores.append(.init(
                label: try group.string("label"), points: try group.double("points", in: points),
                countedOnce: try group.required("counted").choice(["once", "each"]) == "once",
                words: try words(group.required("words"))))
        }
        if let rule = try node.optional("names_asked") {
            _ = try rule.fields(known: ["slot", "points"])
            let slot = try rule.required("slot")
            guard !text.values(of: try slot.string()).isEmpty else {
                throw slot.error("no case has the slot \"\(try slot.string())\"")
            }
            taste.namesAsked = .init(slot: try slot.string(), points: try rule.double("points", in: points))
        }
        if let rule = try node.optional("repetition") {
            _ = try rule.fields(known: ["points", "exempt"])
            taste.repetition = .init(points: try rule.double("points", in: points),
                                     exempt: Set(try words(rule.required("exempt"))))
        }
        taste.unnaturalPairPoints = try node.optional("unnatural_pair_points")?.double(in: points)
        if let rule = try node.optional("length") {
            _ = try rule.fields(known: ["comfortable", "points_per_extra_token"])
            taste.length = .init(comfortable: try rule.int("comfortable", in: 0...1024),
                                 pointsPerExtraToken: try rule.double("points_per_extra_token", in: points))
        }
        if let rule = try node.optional("ending") {
            _ = try rule.fields(known: ["tokens", "points"])
            taste.ending = .init(tokens: try words(rule.required("tokens")),
                                 points: try rule.double("points", in: points))
        }
        if let rule = try node.optional("exact_match") {
            _ = try rule.fields(known: ["correct", "wrong"])
            taste.exactMatch = .init(correct: try rule.double("correct", in: points),
                                     wrong: try rule.double("wrong", in: points))
        }
        return taste
    }
}
