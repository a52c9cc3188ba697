import Foundation
import Testing
import RLHFEngine
import RLHFStages
import RLHFSimulator

@Suite("A whole episode through the interpreter")
struct EpisodeTests {
    @Test("prompt, logits, step, back, finish, reward, advantages and credit agree with each other")
    func wholeEpisode() throws {
        let fixture = try SessionFixture(seed: 11)
        let started = fixture.run("prompt create a description for plantation palms .")
        #expect(started.contains("State s0 is the prompt (7 tokens)"))
        let logits = fixture.run("logits 5")
        #expect(logits.split(separator: "\n").count == 7)  // title, header, 5 rows
        #expect(fixture.run("step enjoy").contains("a0 = \"enjoy\"  (forced"))
        #expect(fixture.run("step fun").contains("a1 = \"fun\""))
        #expect(fixture.run("back").contains("back in state s1"))
        #expect(fixture.session.episode?.response.count == 1)
        _ = fixture.run("finish")
        let episode = try #require(fixture.session.episode)
        #expect(episode.endedWithEOS || episode.response.count == fixture.session.config.responseLength)

        let reward = fixture.run("reward")
        #expect(reward.contains("Reward model score, read once at the"))
        // The table's last r_t is -beta * kl + score; every earlier r_t is -beta * kl.
        let rollout = fixture.session.trainer.collector.record(
            prompts: [episode.prompt], responses: [Continuation(tokens: episode.response, endedWithEOS: episode.endedWithEOS)])[0]
        let prepared = try fixture.session.trainer.prepare([rollout]).rollouts[0]
        let beta = fixture.session.config.klCoef
        for t in 0..<(prepared.tokenCount - 1) { #expect(prepared.rewards[t] == -beta * prepared.kl[t]) }
        #expect(abs(prepared.rewards.last! - (prepared.score - beta * prepared.kl.last!)) < 1e-12)
        #expect(reward.contains(Format.signed(prepared.rewards.last!, 4)))

        let advantages = fixture.run("advantages")
        #expect(advantages.contains(Format.signed(prepared.rawAdvantages[0])))
        let credit = fixture.run("credit")
        let parts = CreditAssignment.split(prepared, gamma: 1, lambda: 0.95)
        for (t, part) in parts.enumerated() {
            #expect(abs(part.total - prepared.rawAdvantages[t]) < 1e-9, "credit parts must add up to A_\(t)")
        }
        #expect(credit.contains("score"))
    }

    @Test("the reward at EOS reaches earlier tokens only through GAE: the score part is c^(T-1-t) * score")
    func scorePartDecays() throws {
        let fixture = try SessionFixture(seed: 3)
        _ = fixture.run("prompt describe gulf shores .")
        for word in ["enjoy", "some", "fun", "in", "the", "sun", ".", "eos"] { _ = fixture.run("step \(word)") }
        let episode = try #require(fixture.session.episode)
        #expect(episode.endedWithEOS)
        let rollout = fixture.session.trainer.collector.record(
            prompts: [episode.prompt], responses: [Continuation(tokens: episode.response, endedWithEOS: true)])[0]
        let prepared = try fixture.session.trainer.prepare([rollout]).rollouts[0]
        let parts = CreditAssignment.split(prepared, gamma: 1, lambda: 0.95)
        let last = prepared.tokenCount - 1
        for t in 0...last {
            let expected = prepared.score * pow(0.95, Double(last - t))
            #expect(abs(parts[t].score - expected) < 1e-9)
        }
    }

    @Test("errors name what is wrong and leave the session as it was")
    func errors() throws {
        let fixture = try SessionFixture()
        #expect(fixture.run("step").contains("error: no episode yet"))
        #expect(fixture.run("reward").contains("error: no episode"))
        #expect(fixture.run("prompt describe atlantis .").contains("unknown word \"atlantis\""))
        #expect(fixture.session.episode == nil)
        _ = fixture.run("prompt describe gulf shores .")
        #expect(fixture.run("reward").contains("has not ended"))
        #expect(fixture.run("step zebra").contains("unknown word \"zebra\""))
        #expect(fixture.run("logits 0").contains("K must be a whole number from 1 to 62"))
        #expect(fixture.run("stpe").contains("did you mean \"step\""))
        #expect(fixture.run("set gama 1").contains("did you mean \"gamma\""))
        #expect(fixture.run("set gamma 2").contains("gamma takes a number from 0 to 1"))
        #expect(fixture.session.config.gamma == 1)
        #expect(fixture.session.episode?.response.isEmpty == true)
    }

    @Test("an empty line repeats step while an episode runs")
    func emptyLineSteps() throws {
        let fixture = try SessionFixture()
        #expect(fixture.run("") == "")
        _ = fixture.run("prompt describe gulf shores .")
        #expect(fixture.run("").contains("s0 -> a0"))
        #expect(fixture.session.episode?.response.count == 1)
    }
}

@Suite("Reference commands")
struct ReferenceCommandTests {
    @Test("vocab lists every token with its id, as the tokenizer numbers them")
    func vocabulary() throws {
        let fixture = try SessionFixture()
        let output = fixture.run("vocab")
        for (id, token) in fixture.session.tokenizer.tokens.enumerated() {
            #expect(output.contains("\(id):\(Format.token(token))"), "token \(id)")
        }
        #expect(fixture.session.tokenizer.tokens.count == 62)
    }
}
