import RLHFEngine

/// Plays episodes with the policy and records what PPO needs about each token.
///
/// Sampling picks tokens one at a time. Afterwards one batched forward pass of the
/// policy, the reference and the critic over the finished episodes gives the
/// log-probs and values, the same computation the update will repeat.
public struct RolloutCollector {
    public let policy: ActorCritic
    public let reference: GPT2
    public let rewardModel: RewardModel
    public let annotator: Annotator?
    public let tokenizer: Tokenizer
    public var config: PPOConfig
    /// What scores a rollout: the reward model (RLHF) or the annotator's rule (needs an annotator).
    public var rewardSource: RewardSource = .model

    public init(policy: ActorCritic, reference: GPT2, rewardModel: RewardModel, annotator: Annotator?,
                tokenizer: Tokenizer, config: PPOConfig) {
        self.policy = policy
        self.reference = reference
        self.rewardModel = rewardModel
        self.annotator = annotator
        self.tokenizer = tokenizer
        self.config = config
    }

    /// The sampler rollouts use: the configured temperature and top-k.
    public var sampler: Sampler {
        Sampler(temperature: Float(config.temperature), topK: config.topK == 0 ? nil : config.topK)
    }

    /// The longest response a prompt of `promptLength` tokens may get: response_length,
    /// or what is left of the context.
    public func responseRoom(promptLength: Int) -> Int {
        max(0, min(config.responseLength, policy.model.config.contextLength - promptLength))
    }

    /// Samples one response to each prompt and records it.
    /// Each prompt must leave room for a response (`responseRoom` of at least 1).
    public func collect(prompts: [[Int]], random: inout RandomGenerator) -> [Rollout] {
        record(prompts: prompts, responses: sample(prompts: prompts, random: &random))
    }

    /// One response to each prompt, sampled by the policy (the draws `collect` makes). One `Generator`
    /// serves the batch: a prompt that appears more than once is fed once.
    public func sample(prompts: [[Int]], random: inout RandomGenerator) -> [Continuation] {
        let generator = Generator(model: policy.model)
        let sampler = self.sampler
        return prompts.map { prompt -> Continuation in
            let room = responseRoom(promptLength: prompt.count)
            precondition(room >= 1, "a prompt of \(prompt.count) tokens leaves no room in the context")
            return generator.generate(prompt: prompt, maxNewTokens: room, eosID: tokenizer.eosID,
                                      sampler: sampler, random: &random)
        }
    }

    /// The reward model's score of each episode and the annotator's gold score, without the policy,
    /// reference and critic passes `record` adds. The reward model reads each episode as generated, in
    /// one batched pass: at the EOS when there is one, else at the last token (TRL scores the response
    /// it got, without adding EOS); the annotator judges the response without its EOS.
    public func judge(prompts: [[Int]], responses: [Continuation]) -> [(rewardModelScore: Double, goldScore: Double?)] {
        let sequences = zip(prompts, responses).map { $0 + $1.tokens }
        let rewardModelScores = GradientMode.withoutRecording { rewardModel.scores(sequences: sequences).data }
        return responses.indices.map { index in
            let (prompt, response) = (prompts[index], responses[index])
            let text = response.endedWithEOS ? Array(response.tokens.dropLast()) : response.tokens
            let gold = annotator?.goldScore(prompt: prompt, response: text, endedWithEOS: response.endedWithEOS)
            return (Double(rewardModelScores[index]), gold)
        }
    }

    /// Records given episodes (sampled, or typed by a learner one step at a time).
    public func record(prompts: [[Int]], responses: [Continuation]) -> [Rollout] {
        let episodes = zip(prompts, responses).map { PromptResponse(prompt: $0, response: $1.tokens) }
        let readouts = GradientMode.withoutRecording { read(episodes) }
        let judged = judge(prompts: prompts, responses: responses)
        return episodes.indices.map { index in
            let episode = episodes[index]
            let ended = responses[index].endedWithEOS
            let (rmScore, gold) = judged[index]
            // The reward source: r_phi(x, y) from the reward model, or the rule's score of y.
            let sourceScore = rewardSource == .rule ? (gold ?? rmScore) : rmScore
            let score = MissingEOSPenalty.score(rewardModelScore: sourceScore, endedWithEOS: ended,
                                                penalty: config.missingEOSPenalty, mode: config.missingEOSMode)
            var rollout = Rollout(promptTokens: episode.prompt, responseTokens: episode.response, endedWithEOS: ended,
                                  logprobs: readouts.logprobs[index], refLogprobs: readouts.refLogprobs[index],
                                  values: readouts.values[index], rewardModelScore: rmScore, score: score,
                                  goldScore: gold)
            rollout.valueAfterLast = readouts.valuesAfterLast[index]
            rollout.scoredByRule = rewardSource == .rule && gold != nil
            return rollout
        }
    }

    /// The policy's log-probs per response token, per episode (no reference, no values), with no graph.
    public func policyLogprobs(_ episodes: [PromptResponse]) -> [[Double]] {
        GradientMode.withoutRecording {
            let positions = PredictingPositions(episodes)
            // No V(s_T) here: the rows stop at the last predicting position, before their last token.
            return positions.split(logprobs(policy.model, hidden: positions.hiddenStates(policy.model),
                                            responseTokens: positions.targets).data)
        }
    }

    /// Policy log-probs, reference log-probs and values per response token, per episode, and each
    /// episode's V(s_T) after its last token (read at that token's position), with no graph.
    ///
    /// The bits of `EpisodeReadout` over the padded batch (`policy.forward`, `reference.logits`; tests check):
    /// each model reads only the positions from each prompt's last token on, its rows fed without padding.
    public func read(_ episodes: [PromptResponse])
        -> (logprobs: [[Double]], refLogprobs: [[Double]], values: [[Double]], valuesAfterLast: [Double]) {
        GradientMode.withoutRecording {
            let predicting = PredictingPositions(episodes)
            // The policy reads one position more per episode, its last token's (s_T), for V(s_T).
            let (hidden, actions, afterLast) = predicting.hiddenStatesThroughLastToken(policy.model)  // (N + B, C)
            let policyLogprobs = logprobs(policy.model, hidden: hidden.selectRows(actions),
                                          responseTokens: predicting.targets)
            // The reference needs no V(s_T): its rows stop before their last token.
            let refLogprobs = logprobs(reference, hidden: predicting.hiddenStates(reference),
                                       responseTokens: predicting.targets)
            let values = policy.valueHead(hidden)  // (N + B): V(s_t) of every read position
            let tokenValues = values.selectRows(actions), finalValues = values.selectRows(afterLast)
            return (predicting.split(policyLogprobs.data), predicting.split(refLogprobs.data),
                    predicting.split(tokenValues.data), finalValues.data.map(Double.init))
        }
    }

    /// `EpisodeReadout.logprobs(of:)` at the rollouts' temperature.
    private func logprobs(_ model: GPT2, hidden: Tensor, responseTokens: [Int]) -> Tensor {
        EpisodeReadout.logprobs(of: model, hidden: hidden, responseTokens: responseTokens,
                                temperature: config.temperature).logprobs
    }
}
