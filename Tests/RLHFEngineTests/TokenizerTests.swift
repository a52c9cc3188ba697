import Testing
import RLHFEngine

/// The tokenizer's byte-wise path for ASCII text against its character-wise path, which
/// follows Unicode's properties (White_Space, letters, numbers) and lower-casing.
@Suite("Tokenizer pieces")
struct TokenizerTests {
    /// Every ASCII character, alone and in every ordered pair, splits as the character-wise path splits it.
    @Test func everyASCIIPairSplitsAsTheUnicodePath() {
        let characters = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        var checked = 0
        for first in characters {
            #expect(Tokenizer.pieces(first) == Tokenizer.unicodePieces(first), "\(Array(first.utf8))")
            for second in characters {
                let text = first + second
                if Tokenizer.pieces(text) != Tokenizer.unicodePieces(text) {
                    Issue.record("pieces differ for bytes \(Array(text.utf8))")
                }
                checked += 1
            }
        }
        #expect(checked == 128 * 128)
    }

    /// Hand-checked cases: punctuation runs, digits, `_`, tabs, CR, CR LF, apostrophes, capitals.
    @Test func edgeCasesSplitAsTheWhitespacePreTokenizer() {
        let cases: [(String, [String])] = [
            ("Hello, World!", ["hello", ",", "world", "!"]),
            ("don't  stop", ["don", "'", "t", "stop"]),
            ("a\tb\rc\r\nd\n", ["a", "b", "c", "d"]),
            ("x1_y2...?!z", ["x1_y2", "...?!", "z"]),
            ("  \u{0B}\u{0C} ", []),
            ("(3.14)", ["(", "3", ".", "14", ")"]),
            ("\u{1F}a\u{7F}", ["\u{1F}", "a", "\u{7F}"]),
            ("", []),
        ]
        for (text, expected) in cases {
            #expect(Tokenizer.pieces(text) == expected, "\(text.debugDescription)")
            #expect(Tokenizer.unicodePieces(text) == expected, "\(text.debugDescription)")
        }
    }

    /// Longer mixed strings, ASCII and not (accents, non-breaking space, an ideographic space,
    /// Arabic-Indic digits, a combining mark, capital letters whose lower case is longer),
    /// from a fixed seed: both paths agree.
    @Test func mixedStringsSplitAsTheUnicodePath() {
        let alphabet: [String] = ["a", "Z", "q", "0", "9", "_", "'", ".", ",", "-", "!", " ", "\t", "\r", "\n",
                                  "\r\n", "\u{0B}", "\u{0C}", "\u{1C}", "\u{85}", "\u{A0}", "\u{3000}", "é",
                                  "É", "e\u{301}", "\u{130}", "ß", "\u{661}", "²", "Ω", "—", "“", "😀"]
        var random = RandomGenerator(seed: 15)
        for length in 1...40 {
            for _ in 0..<50 {
                let text = (0..<length).map { _ in alphabet[random.nextInt(below: alphabet.count)] }.joined()
                #expect(Tokenizer.pieces(text) == Tokenizer.unicodePieces(text), "\(text.debugDescription)")
            }
            let ascii = (0..<length).map { _ in alphabet[random.nextInt(below: 18)] }.joined()
            #expect(Tokenizer.pieces(ascii) == Tokenizer.unicodePieces(ascii), "\(ascii.debugDescription)")
        }
    }

    /// A substring (not native contiguous storage in general) and a bridged-looking string give the same pieces.
    @Test func substringsSplitAsTheUnicodePath() {
        let text = "The Cat's hat, 42 times!\r\n Überall."
        for start in text.indices {
            let piece = String(text[start...])
            #expect(Tokenizer.pieces(piece) == Tokenizer.unicodePieces(piece))
        }
    }
}
