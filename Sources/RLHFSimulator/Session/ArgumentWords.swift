/// Cutting a command line's arguments into words, as a shell would for file names:
/// whitespace separates words; "double" or 'single' quotes keep spaces inside one word;
/// a backslash takes the next character as it is (`file\ with\ spaces.jsonl`, `\"`).
enum ArgumentWords {
    /// A quote left open, or a backslash at the very end.
    struct Unfinished: Error {
        let message: String
    }

    static func split(_ text: String) throws -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                word.append(character)
                escaped = false
            } else if character == "\\" && quote != "'" {
                escaped = true
                inWord = true
            } else if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        if let quote { throw Unfinished(message: "the quote \(quote) is not closed") }
        if escaped { throw Unfinished(message: "a backslash ends the line") }
        if inWord { words.append(word) }
        return words
    }
}
