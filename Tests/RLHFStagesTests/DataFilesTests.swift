import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// Loading SFT, preference and prompt files: what loads, and every way a file can be
/// wrong, each with a message naming the file, the line and the problem.
@Suite("Data files")
struct DataFilesTests {
    let tokenizer = WorldVocabulary.tokenizer
    let folder = TemporaryFolder()

    static let seedLine = #"{"input_text": "Create a description for Plantation Palms.", "candidate_0": "Enjoy some fun in the sun at Gulf Shores.", "candidate_1": "A Tranquil Oasis of Natural Beauty.", "choice": 0}"#

    /// The DataError a preference file throws, or nil when it loads.
    func preferenceError(_ text: String, name: String = "prefs.jsonl") -> DataError? {
        let path = folder.file(name, text)
        do {
            _ = try DataFiles.loadPreferences(path: path, tokenizer: tokenizer, contextLength: 32)
            return nil
        } catch let error as DataError {
            return error
        } catch {
            Issue.record("expected a DataError, got \(error)")
            return nil
        }
    }

    // MARK: What loads

    @Test("the seed's own example line loads verbatim")
    func seedLineLoads() throws {
        let path = folder.file("seed.jsonl", Self.seedLine + "\n")
        let pairs = try DataFiles.loadPreferences(path: path, tokenizer: tokenizer, contextLength: 32)
        #expect(pairs.count == 1)
        let pair = try #require(pairs.first)
        #expect(pair.promptText == "Create a description for Plantation Palms.")
        #expect(pair.chosenText == "Enjoy some fun in the sun at Gulf Shores.")
        #expect(pair.rejectedText == "A Tranquil Oasis of Natural Beauty.")
        #expect(pair.chosen.prompt == pair.rejected.prompt)
        #expect(tokenizer.decode(pair.chosen.response) == "enjoy some fun in the sun at gulf shores.")
        #expect(tokenizer.decode(pair.rejected.response) == "a tranquil oasis of natural beauty.")
    }

    @Test("choice 1 makes candidate_1 the chosen one; 1.0 (as Python may write it) is 1, as in a trace",
          arguments: ["1", "1.0", "1e0"])
    func choiceOne(written: String) throws {
        let line = Self.seedLine.replacingOccurrences(of: #""choice": 0"#, with: #""choice": "# + written)
        let pairs = try DataFiles.loadPreferences(path: folder.file("one.jsonl", line),
                                                  tokenizer: tokenizer, contextLength: 32)
        #expect(pairs.first?.chosenText == "A Tranquil Oasis of Natural Beauty.")
        #expect(pairs.first?.rejectedText == "Enjoy some fun in the sun at Gulf Shores.")
    }

    @Test("TRL's prompt/chosen/rejected format loads, mixed with the seed's, blank lines skipped")
    func trlFormatLoads() throws {
        let text = #"{"prompt": "describe coral bay .", "chosen": "swim in the warm water at coral bay .", "rejected": "rest in a calm place by the water ."}"#
            + "\n\n" + Self.seedLine + "\n"
        let pairs = try DataFiles.loadPreferences(path: folder.file("trl.jsonl", text),
                                                  tokenizer: tokenizer, contextLength: 32)
        #expect(pairs.count == 2)
        #expect(pairs[0].chosenText == "swim in the warm water at coral bay .")
        #expect(pairs[0].rejectedText == "rest in a calm place by the water .")
        #expect(pairs[1].chosenText == "Enjoy some fun in the sun at Gulf Shores.")
    }

    @Test("white space around a line, ASCII or not, is trimmed; a line without it is read as it is")
    func linesAreTrimmed() throws {
        let text = " \t{\"a\": \"x \"}\u{A0}\n\u{3000}{\"a\": \"y\"}\r\n{\"a\": \" z\"}\n\u{2028}\n"
        let records = try JSONLines.parse(text, file: "trim.jsonl")
        #expect(try records.map { try $0.string("a") } == ["x ", "y", " z"])
        #expect(records.map(\.line) == [1, 2, 3])
    }

    @Test("the SFT format loads")
    func sftLoads() throws {
        let text = #"{"prompt": "describe pine lake .", "completion": "pine lake is a quiet place to relax ."}"#
            + "\n" + #"{"prompt": "Write an ad for Sandy Cove.", "completion": "Great fun for your family!"}"#
        let examples = try DataFiles.loadSFT(path: folder.file("sft.jsonl", text),
                                             tokenizer: tokenizer, contextLength: 32)
        #expect(examples.count == 2)
        #expect(examples[1].completionText == "Great fun for your family!")
        #expect(examples[1].tokens.response == (try tokenizer.encode("great fun for your family !", source: "test")))
    }

    @Test("a prompts file may use \"prompt\" or \"input_text\"")
    func promptsLoad() throws {
        let text = #"{"prompt": "describe coral bay ."}"# + "\n" + #"{"input_text": "Create a description for Plantation Palms."}"#
        let prompts = try DataFiles.loadPrompts(path: folder.file("prompts.jsonl", text), tokenizer: tokenizer)
        #expect(prompts.map(\.text) == ["describe coral bay .", "Create a description for Plantation Palms."])
        #expect(prompts[1].tokens == (try tokenizer.encode("create a description for plantation palms .", source: "test")))
    }

    // MARK: Every way to be wrong

    @Test("a malformed JSON line")
    func malformedLine() throws {
        let error = try #require(preferenceError(Self.seedLine + "\n" + #"{"input_text": "describe coral bay ."#))
        #expect(error.line == 2)
        #expect(error.description.hasPrefix(folder.pathFor("prefs.jsonl") + ":2: not valid JSON"))
    }

    @Test("a field named twice on a line is refused, not one of its values kept")
    func repeatedField() throws {
        let line = Self.seedLine.replacingOccurrences(of: "}", with: #", "choice": 1}"#)
        let error = try #require(preferenceError(Self.seedLine + "\n" + line))
        #expect(error.line == 2)
        let expected = folder.pathFor("prefs.jsonl") + ":2: not valid JSON (the field \"choice\" appears twice"
        #expect(error.description.hasPrefix(expected), "\(error.description)")
    }

    @Test("a line that is JSON but not an object")
    func notAnObject() throws {
        let error = try #require(preferenceError("[1, 2]"))
        #expect(error.description == folder.pathFor("prefs.jsonl") + ":1: expected a JSON object, found an array")
    }

    @Test("a missing field")
    func missingField() throws {
        let line = #"{"input_text": "describe coral bay .", "candidate_0": "great fun for your family !", "choice": 0}"#
        let error = try #require(preferenceError(line))
        #expect(error.line == 1)
        #expect(error.description.hasPrefix(folder.pathFor("prefs.jsonl") + ":1: missing field \"candidate_1\""))
        let trl = try #require(preferenceError(#"{"prompt": "describe coral bay .", "chosen": "great fun for your family !"}"#))
        #expect(trl.description.hasPrefix(folder.pathFor("prefs.jsonl") + ":1: missing field \"rejected\""))
    }

    @Test("neither format's fields")
    func unknownFormat() throws {
        let error = try #require(preferenceError(#"{"question": "?", "answer": "!"}"#))
        #expect(error.line == 1)
        #expect(error.message.contains("input_text, candidate_0, candidate_1, choice"))
        #expect(error.message.contains("found answer, question"))
    }

    @Test("a number where a string is expected")
    func numberForString() throws {
        let line = Self.seedLine.replacingOccurrences(of: #""A Tranquil Oasis of Natural Beauty.""#, with: "5")
        let error = try #require(preferenceError(line))
        #expect(error.description == folder.pathFor("prefs.jsonl") + ":1: field \"candidate_1\" should be a string, found an integer")
    }

    @Test("a string, a boolean or a fraction where the choice is expected",
          arguments: [(#""0""#, "a string"), ("true", "a boolean"), ("0.5", "0.5"), ("1.5", "1.5"), ("null", "null")])
    func mistypedChoice(value: String, found: String) throws {
        let line = Self.seedLine.replacingOccurrences(of: #""choice": 0"#, with: #""choice": "# + value)
        let error = try #require(preferenceError(line))
        #expect(error.description == folder.pathFor("prefs.jsonl") + ":1: field \"choice\" should be an integer, found \(found)")
    }

    @Test("a choice other than 0 or 1", arguments: [2, -1])
    func choiceOutOfRange(choice: Int) throws {
        let line = Self.seedLine.replacingOccurrences(of: #""choice": 0"#, with: #""choice": \#(choice)"#)
        let error = try #require(preferenceError(line))
        #expect(error.description == folder.pathFor("prefs.jsonl") + ":1: field \"choice\" must be 0 or 1, found \(choice)")
    }

    @Test("an unknown word: the message names the word, the line and the field")
    func unknownWord() throws {
        let line = Self.seedLine.replacingOccurrences(of: "Natural Beauty", with: "Natural Zebras")
        let error = try #require(preferenceError(Self.seedLine + "\n" + line))
        #expect(error.line == 2)
        #expect(error.message.contains("unknown word \"zebras\""))
        #expect(error.message.contains("candidate_1"))
        #expect(error.description.hasPrefix(folder.pathFor("prefs.jsonl") + ":2: "))
        // The same in an SFT file and a prompts file.
        let sft = folder.file("sft.jsonl", #"{"prompt": "describe coral bay .", "completion": "llamas !"}"#)
        #expect(throws: DataError(file: sft, line: 1, message:
            "field \"completion\": unknown word \"llamas\" (not in the vocabulary; `vocab` lists the words)")) {
            try DataFiles.loadSFT(path: sft, tokenizer: tokenizer, contextLength: 32)
        }
        let prompts = folder.file("prompts.jsonl", #"{"prompt": "describe atlantis ."}"#)
        #expect(throws: DataError(file: prompts, line: 1, message:
            "field \"prompt\": unknown word \"atlantis\" (not in the vocabulary; `vocab` lists the words)")) {
            try DataFiles.loadPrompts(path: prompts, tokenizer: tokenizer)
        }
    }

    @Test("an empty file, and one of blank lines only")
    func emptyFile() throws {
        for text in ["", "\n\n  \n"] {
            let error = try #require(preferenceError(text, name: "empty.jsonl"))
            #expect(error == DataError(file: folder.pathFor("empty.jsonl"), line: nil, message: "the file holds no records"))
            #expect(error.description == folder.pathFor("empty.jsonl") + ": the file holds no records")
        }
    }

    @Test("a missing file")
    func missingFile() {
        let path = folder.pathFor("nowhere.jsonl")
        #expect(throws: DataError(file: path, line: nil, message: "no such file")) {
            try DataFiles.loadPreferences(path: path, tokenizer: tokenizer, contextLength: 32)
        }
        #expect(throws: DataError(file: path, line: nil, message: "no such file")) {
            try DataFiles.loadSFT(path: path, tokenizer: tokenizer, contextLength: 32)
        }
        #expect(throws: DataError(file: path, line: nil, message: "no such file")) {
            try DataFiles.loadPrompts(path: path, tokenizer: tokenizer)
        }
    }

    @Test("good first lines and a bad later line: an error for that line, and nothing loaded")
    func laterLineBad() throws {
        let bad = Self.seedLine.replacingOccurrences(of: #""choice": 0"#, with: #""choice": 3"#)
        let text = [Self.seedLine, Self.seedLine, "", Self.seedLine, bad, Self.seedLine].joined(separator: "\n")
        let path = folder.file("late.jsonl", text)
        var loaded: [PreferencePair]? = nil
        #expect(throws: DataError(file: path, line: 5, message: "field \"choice\" must be 0 or 1, found 3")) {
            loaded = try DataFiles.loadPreferences(path: path, tokenizer: tokenizer, contextLength: 32)
        }
        #expect(loaded == nil)
    }

    @Test("an empty completion or prompt")
    func emptyFields() throws {
        let sft = folder.file("sft.jsonl", #"{"prompt": "describe coral bay .", "completion": "  "}"#)
        #expect(throws: DataError(file: sft, line: 1, message: "field \"completion\" is empty")) {
            try DataFiles.loadSFT(path: sft, tokenizer: tokenizer, contextLength: 32)
        }
        let prompts = folder.file("prompts.jsonl", #"{"input_text": ""}"#)
        #expect(throws: DataError(file: prompts, line: 1, message: "field \"input_text\" is empty")) {
            try DataFiles.loadPrompts(path: prompts, tokenizer: tokenizer)
        }
    }
}
