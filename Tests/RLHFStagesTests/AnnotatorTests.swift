import RLHFEngine
import RLHFStages
import Testing

/// The built-in world's simulated human.
@Suite("Annotator")
struct AnnotatorTests {
    let annotator = Annotator()
    let tokenizer = WorldVocabulary.tokenizer

    func ids(_ text: String) throws -> [Int] { try tokenizer.encode(text, source: "test") }

    /// A term as a comparable pair (Annotator.Term has no public initialiser).
    struct T: Equatable, CustomStringConvertible {
        let reason: String
        let points: Double
        init(_ reason: String, _ points: Double) { (self.reason, self.points) = (reason, points) }
        init(_ term: Annotator.Term) { (reason, points) = (term.reason, term.points) }
        var description: String { "\(reason): \(points)" }
    }

    func terms(prompt: [Int], response: [Int], endedWithEOS: Bool = true) -> [T] {
        annotator.breakdown(prompt: prompt, response: response, endedWithEOS: endedWithEOS).map(T.init)
    }

    @Test("prefers the seed's candidate_0 (lively, +3) to candidate_1 (dull, -2)")
    func seedPair() throws {
        let prompt = try ids("Create a description for Plantation Palms.")
        let lively = try ids("Enjoy some fun in the sun at Gulf Shores.")
        let calm = try ids("A Tranquil Oasis of Natural Beauty.")
        #expect(annotator.choose(prompt: prompt, lively, calm) == 0)
        #expect(annotator.choose(prompt: prompt, calm, lively) == 1)
        #expect(annotator.choose(prompt: prompt, calm, calm) == nil)
        // enjoy, fun, sun: +3; gulf shores is not the place asked about; every pair is natural.
        #expect(terms(prompt: prompt, response: lively) == [
            T("lively: enjoy fun sun", 3),
        ])
        // tranquil, oasis: -1 each.
        #expect(terms(prompt: prompt, response: calm) == [
            T("dull: tranquil oasis", -2),
        ])
        #expect(annotator.goldScore(prompt: prompt, response: lively) == 3)
        #expect(annotator.goldScore(prompt: prompt, response: calm) == -2)
    }

    @Test("naming the resort asked about earns +1")
    func namesThePlace() throws {
        let prompt = try ids("describe gulf shores .")
        let response = try ids("enjoy some fun in the sun at gulf shores .")
        // +3 lively, +1 names gulf shores
        #expect(annotator.goldScore(prompt: prompt, response: response) == 4)
        #expect(terms(prompt: prompt, response: response).map(\.reason)
                == ["lively: enjoy fun sun", "names gulf shores"])
    }

    @Test("word salad cut off at the limit: repetition, unnatural pairs and the missing end")
    func wordSalad() throws {
        let prompt = try ids("describe pine lake .")
        // "fun fun sun", no EOS:
        //   lively: fun sun               +2 (each counted once)
        //   repeats: fun                  -1
        //   unnatural: "fun fun" "fun sun" -2 (neither pair occurs in the corpus)
        //   cut off before the end token  -2
        //   total -3
        let response = try ids("fun fun sun")
        let found = terms(prompt: prompt, response: response, endedWithEOS: false)
        #expect(found == [
            T("lively: fun sun", 2),
            T("repeats: fun", -1),
            T("unnatural: \"fun fun\" \"fun sun\"", -2),
            T("cut off before the end token", -2),
        ])
        #expect(annotator.goldScore(prompt: prompt, response: response, endedWithEOS: false) == -3)
        // The same words closed by EOS but without "." or "!": the last term changes reason, not points.
        let closed = terms(prompt: prompt, response: response, endedWithEOS: true)
        #expect(closed.last == T("no closing . or !", -2))
    }

    @Test("rambling: -0.5 per token past 12, with the other terms of the same response")
    func rambling() throws {
        let prompt = try ids("describe pine lake .")
        // "stay with your family on the beach at pine lake , great views ." is 14 tokens:
        //   lively: beach great                   +2
        //   names pine lake (the place asked)     +1
        //   unnatural: "lake ," ", great"         -2 (the corpus never puts a comma there)
        //   rambles: 14 tokens, 2 past 12         -1
        //   ends with "." before EOS: no penalty; total 0
        let response = try ids("stay with your family on the beach at pine lake , great views .")
        #expect(response.count == 14)
        #expect(terms(prompt: prompt, response: response) == [
            T("lively: beach great", 2),
            T("names pine lake", 1),
            T("unnatural: \"lake ,\" \", great\"", -2),
            T("rambles: 14 tokens", -1),
        ])
        #expect(annotator.goldScore(prompt: prompt, response: response) == 0)
        // The 11-token corpus sentence alone: no rambling, no unnatural pair.
        let short = try ids("stay with your family on the beach at pine lake .")
        #expect(terms(prompt: prompt, response: short) == [T("lively: beach", 1), T("names pine lake", 1)])
    }
}
