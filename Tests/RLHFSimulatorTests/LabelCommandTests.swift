import RLHFEngine
import RLHFSimulator
import Testing

@Suite("label: the pair it shows")
struct LabelCommandTests {
    /// What `label` shows and draws, computed by the model's own `generate`: a random training prompt, then up
    /// to 20 samples, keeping the first two distinct non-empty responses that end with EOS (EOS dropped).
    static func expectedPair(_ session: Session,
                             random: inout RandomGenerator) -> (prompt: [Int], candidates: [[Int]])? {
        let prompt = session.data.trainingPrompts[random.nextInt(below: session.data.trainingPrompts.count)].tokens
        let collector = session.trainer.collector
        var candidates: [[Int]] = []
        for _ in 0..<20 where candidates.count < 2 {
            let sample = session.policy.model.generate(
                prompt: prompt, maxNewTokens: collector.responseRoom(promptLength: prompt.count),
                eosID: session.tokenizer.eosID, sampler: collector.sampler, random: &random)
            let text = sample.endedWithEOS ? Array(sample.tokens.dropLast()) : sample.tokens
            if sample.endedWithEOS && !text.isEmpty && !candidates.contains(text) { candidates.append(text) }
        }
        return candidates.count == 2 ? (prompt, candidates) : nil
    }

    @Test("three labels in a row show the pairs GPT2.generate draws and leave the random stream where they do",
          arguments: [0, 5] as [UInt64])
    func pairsAsGenerateDraws(seed: UInt64) throws {
        let fixture = try SessionFixture(seed: seed)
        var random = fixture.session.random
        for round in 0..<3 {
            let shown = fixture.run("label")
            let expected = try #require(Self.expectedPair(fixture.session, random: &random), "round \(round)")
            let pending = try #require(fixture.session.pendingLabel, "\(shown)")
            #expect(pending.prompt == expected.prompt && pending.candidates == expected.candidates, "round \(round)")
            #expect(fixture.session.random == random, "round \(round)")
            #expect(fixture.run("skip") == "Skipped.\n")
        }
    }
}
