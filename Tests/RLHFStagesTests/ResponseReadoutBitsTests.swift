import RLHFEngine
import RLHFStages
import Testing

/// The rollouts' read-outs (`RolloutCollector.read`, `policyLogprobs`, `judge`) feed each episode without
/// padding and read only its response's positions; these tests compute them the plain way, with the graph's
/// batched ops over the right-padded batch (not the decoder the read-outs use), and compare every bit.
@Suite("Rollout read-outs without padding: the padded batch's bits")
struct ResponseReadoutBitsTests {
    /// The read-outs over the padded batch, recorded as a graph so that the batched ops run: policy.forward,
    /// reference.logits and EpisodeReadout, and the reward head at every padded position read at each last token.
    static func plain(_ collector: RolloutCollector, _ episodes: [PromptResponse])
        -> (logprobs: [Float], refLogprobs: [Float], values: [Float], afterLast: [Float], scores: [Float]) {
        do {
            let layout = PaddedEpisodes(episodes, padID: collector.tokenizer.padID)
            let (logits, values) = collector.policy.forward(layout.rows)
            let temperature = collector.config.temperature
            let logprobs = layout.logprobs(logits: logits, temperature: temperature).logprobs
            let refLogprobs = layout.logprobs(logits: collector.reference.logits(layout.rows),
                                              temperature: temperature).logprobs
            let tokenValues = layout.picked(values)
            let last = episodes.indices.map {
                $0 * layout.length + episodes[$0].prompt.count + episodes[$0].response.count - 1
            }
            let afterLast = values.reshaped([layout.rows.count * layout.length]).selectRows(last)
            let reward = collector.rewardModel
            let padded = Batching.padRight(episodes.map { $0.prompt + $0.response }, padID: reward.padID)
            let perPosition = reward.head(reward.backbone.hiddenStates(padded))  // (B, T)
            let scores = perPosition.reshaped([padded.count * padded[0].count]).selectRows(episodes.indices.map {
                $0 * padded[0].count + episodes[$0].prompt.count + episodes[$0].response.count - 1
            })
            return (logprobs.data, refLogprobs.data, tokenValues.data, afterLast.data, scores.data)
        }
    }

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
    static func bits(_ values: [[Double]]) -> [UInt64] { values.flatMap { $0.map(\.bitPattern) } }

    /// Episodes of many lengths from `prompts`: empty responses, one token, up to the context's end.
    static func episodes(_ prompts: [[Int]], context: Int, vocabulary: Int,
                         random: inout RandomGenerator) -> [PromptResponse] {
        var result: [PromptResponse] = []
        for (index, prompt) in prompts.enumerated() {
            let room = context - prompt.count
            for length in [0, 1, room / 2 + index % 3, room] {
                let response = (0..<length).map { _ in 1 + random.nextInt(below: vocabulary - 1) }
                result.append(PromptResponse(prompt: prompt, response: response))
            }
        }
        return result
    }

    static func check(_ collector: RolloutCollector, _ episodes: [PromptResponse]) {
        let plain = plain(collector, episodes)
        let fast = GradientMode.withoutRecording { collector.read(episodes) }
        #expect(bits(fast.logprobs) == bits([plain.logprobs.map(Double.init)]))
        #expect(bits(fast.refLogprobs) == bits([plain.refLogprobs.map(Double.init)]))
        #expect(bits(fast.values) == bits([plain.values.map(Double.init)]))
        #expect(bits([fast.valuesAfterLast]) == bits([plain.afterLast.map(Double.init)]))
        let after = GradientMode.withoutRecording { collector.policyLogprobs(episodes) }
        #expect(bits(after) == bits([plain.logprobs.map(Double.init)]))
        let judged = collector.judge(prompts: episodes.map(\.prompt),
                                     responses: episodes.map { Continuation(tokens: $0.response, endedWithEOS: false) })
        #expect(judged.map { $0.rewardModelScore.bitPattern } == plain.scores.map { Double($0).bitPattern })
    }

    @Test("the tiny world: every read-out of 16 episodes of 0 to 24 tokens, bit for bit")
    func tinyWorld() {
        var world = TinyWorld(seed: 5)
        let episodes = Self.episodes(world.prompts, context: TinyWorld.model.contextLength,
                                     vocabulary: TinyWorld.model.vocabularySize, random: &world.random)
        Self.check(world.trainer.collector, episodes)
    }

    @Test("the built-in world's sizes (d48 L2, context 32), temperature 0.7, 40 episodes on both threads")
    func worldSizes() {
        var random = RandomGenerator(seed: 9)
        let config = GPT2Config(vocabularySize: WorldVocabulary.tokens.count, contextLength: 32,
                                embeddingWidth: 48, layerCount: 2, headCount: 4)
        let reference = GPT2(config: config, random: &random)
        let tokenizer = WorldVocabulary.tokenizer
        var ppo = PPOConfig()
        ppo.temperature = 0.7
        let collector = RolloutCollector(
            policy: ActorCritic(initialisedFrom: reference, random: &random), reference: reference,
            rewardModel: RewardModel(initialisedFrom: reference, tokenizer: tokenizer, random: &random),
            annotator: Annotator(tokenizer: tokenizer), tokenizer: tokenizer, config: ppo)
        let prompts = WorldText.trainingPrompts.prefix(10).map { try! tokenizer.encode($0, source: "test") }
        let episodes = Self.episodes(prompts, context: 32, vocabulary: config.vocabularySize, random: &random)
        Self.check(collector, episodes)
    }
}
