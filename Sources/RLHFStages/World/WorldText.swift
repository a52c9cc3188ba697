/// The sentences of a world, from which its corpus, its SFT data and its prompts are made
/// (the recipe's `text` section).
///
/// A case binds slot names to words (`{"place": "gulf shores"}`, or `{"a": "two", "b": "three",
/// "sum": "five"}`). Every prompt template filled with a case is a prompt; every response template
/// filled with the same case answers it, so a template without slots answers every prompt. In the
/// built-in world a prompt asks for copy about one of five resorts and a response is one sentence about it.
public struct WorldText: Sendable, Equatable {
    /// Slot values, one dictionary per case; `{name}` in a template stands for `case[name]`.
    public var cases: [[String: String]]
    /// Ways to ask; each is filled with each case.
    public var promptTemplates: [String]
    /// Answers; each is filled with the case of the prompt it answers.
    public var responseTemplates: [String]
    /// Filled responses no model is trained on, so that SFT's held-out loss measures generalisation:
    /// they are left out of the corpus, and the SFT examples that end in one are the held-out set.
    public var heldOutCompletions: [String]
    /// Prompts whose SFT examples are held out of SFT too (their sentences stay in the corpus).
    public var heldOutSFTPrompts: [String] = []
    /// Prompts held out of PPO training, to measure generalisation.
    public var heldOutPromptList: [String]

    public init(cases: [[String: String]], promptTemplates: [String], responseTemplates: [String],
                heldOutCompletions: [String], heldOutPrompts: [String]) {
        self.cases = cases
        self.promptTemplates = promptTemplates
        self.responseTemplates = responseTemplates
        self.heldOutCompletions = heldOutCompletions
        self.heldOutPromptList = heldOutPrompts
    }

    /// `template` with every `{name}` replaced by `values[name]`.
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        guard template.utf8.contains(UInt8(ascii: "{")) else { return template }
        var text = template
        for name in values.keys.sorted() {
            let (slot, value) = ("{\(name)}", values[name]!)
            // ASCII text by bytes (the same result, without Foundation's string bridging); other text by Foundation.
            if text.utf8.allSatisfy({ $0 < 0x80 }) && value.utf8.allSatisfy({ $0 < 0x80 })
                && slot.utf8.allSatisfy({ $0 < 0x80 }) {
                text = replacingASCII(slot, with: value, in: text)
            } else {
                text = text.replacingOccurrences(of: slot, with: value)
            }
        }
        return text
    }

    /// `text` with each occurrence of `pattern`, from the left and not overlapping, replaced by `replacement`.
    private static func replacingASCII(_ pattern: String, with replacement: String, in text: String) -> String {
        let (bytes, target) = (Array(text.utf8), Array(pattern.utf8))
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == target[0], index + target.count <= bytes.count,
               bytes[index..<(index + target.count)].elementsEqual(target) {
                result.append(contentsOf: replacement.utf8)
                index += target.count
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// `template` with `{place}` filled in (the built-in world's one slot).
    public static func fill(_ template: String, place: String) -> String { fill(template, ["place": place]) }

    /// Every (prompt, completion) the SFT data is made of, in a fixed order: each prompt template,
    /// each case, each response template.
    public var promptCompletions: [(prompt: String, completion: String)] {
        promptTemplates.flatMap { template in
            cases.flatMap { values in
                responseTemplates.map { (Self.fill(template, values), Self.fill($0, values)) }
            }
        }
    }

    /// The distinct values of slot `name`, in case order.
    public func values(of name: String) -> [String] {
        var seen = Set<String>()
        return cases.compactMap { $0[name] }.filter { seen.insert($0).inserted }
    }

    /// Every prompt: each template with each case, in a fixed order.
    public var allPrompts: [String] {
        promptTemplates.flatMap { template in cases.map { Self.fill(template, $0) } }
    }

    /// The prompts PPO trains on.
    public var trainingPrompts: [String] {
        let heldOut = Set(heldOutPromptList)
        return allPrompts.filter { !heldOut.contains($0) }
    }

    /// The prompts held out from PPO training, in prompt order.
    public var heldOutPrompts: [String] {
        let heldOut = Set(heldOutPromptList)
        return allPrompts.filter { heldOut.contains($0) }
    }

    /// Every response sentence for every case (once for those without slots) and every prompt,
    /// each once, in a fixed order: the world's natural text, whose word pairs the annotator calls natural.
    public var naturalText: [String] {
        var sentences: [String] = []
        for template in responseTemplates {
            sentences += template.contains("{") ? cases.map { Self.fill(template, $0) } : [template]
        }
        var seen = Set<String>()
        return (sentences + allPrompts).filter { seen.insert($0).inserted }
    }

    /// The pre-training corpus: the natural text without the held-out completions.
    public var corpus: [String] {
        let heldOut = Set(heldOutCompletions)
        return naturalText.filter { !heldOut.contains($0) }
    }

    // The built-in world's text, for code and tests that name it.
    public static var builtIn: WorldText { WorldRecipe.builtIn.text }
    public static var places: [String] { builtIn.values(of: "place") }
    public static var promptTemplates: [String] { builtIn.promptTemplates }
    public static var responseTemplates: [String] { builtIn.responseTemplates }
    public static var allPrompts: [String] { builtIn.allPrompts }
    public static var trainingPrompts: [String] { builtIn.trainingPrompts }
    public static var heldOutPrompts: [String] { builtIn.heldOutPrompts }
    public static var corpus: [String] { builtIn.corpus }
}
