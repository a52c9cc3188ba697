import RLHFEngine

/// One episode and everything PPO computes about it, token by token.
///
/// Token arrays run over the response, up to and including EOS when there is one:
/// entry t describes the action a_t taken in state s_t = prompt + response[..<t].
public struct Rollout: Sendable, Equatable {
    public var promptTokens: [Int] = []
    public var responseTokens: [Int] = []
    public var endedWithEOS = false
    /// log pi_old(a_t | s_t), logits / temperature.
    public var logprobs: [Double] = []
    /// log pi_ref(a_t | s_t) under the frozen SFT model.
    public var refLogprobs: [Double] = []
    /// V_old(s_t) from the critic.
    public var values: [Double] = []
    /// The reward model's score of the whole response, before any missing-EOS rule.
    public var rewardModelScore = 0.0
    /// The score PPO uses (after the missing-EOS rule).
    public var score = 0.0
    /// Whether `score` came from the annotator's rule (`RewardSource.rule`) rather than the reward model.
    public var scoredByRule = false
    /// The annotator's gold score, where the world has an annotator.
    public var goldScore: Double?
    /// Per-token KL estimate (k1 or k3).
    public var kl: [Double] = []
    /// Shaped reward: -beta kl_t, plus the score at the last token.
    public var rewards: [Double] = []
    /// The KL part alone: -beta kl_t (TRL's non_score_reward).
    public var nonScoreRewards: [Double] = []
    /// GAE's TD residuals delta_t.
    public var deltas: [Double] = []
    /// GAE advantages before whitening.
    public var rawAdvantages: [Double] = []
    /// Advantages whitened over the batch: what the policy loss uses.
    public var advantages: [Double] = []
    /// Returns A_t + V(s_t): what the value loss aims at.
    public var returns: [Double] = []

    /// V(s_T): the critic's value of the state after the last response token (after EOS), read in the
    /// same pass as `values`. Only `score_position after_eos` uses it.
    public var valueAfterLast: Double = 0
    /// PPOv2's slot one past EOS, when `score_position` is after_eos and the response ended with EOS
    /// before response_length; nil otherwise.
    public var afterEOS: ScoreSlot?

    public var tokenCount: Int { responseTokens.count }

    /// `perToken` with the slot after EOS's `entry` appended when there is a slot (score_position
    /// after_eos): the sequences GAE and its whitening run over, one step past the response.
    public func throughSlot(_ perToken: [Double], _ entry: (ScoreSlot) -> Double) -> [Double] {
        perToken + (afterEOS.map { [entry($0)] } ?? [])
    }

    /// The prompt and response as one episode (EOS, when present, is the response's last token).
    public var episode: PromptResponse { PromptResponse(prompt: promptTokens, response: responseTokens) }

    /// The response without its closing EOS: the text the reward model and annotator judge.
    public var responseText: [Int] { endedWithEOS ? Array(responseTokens.dropLast()) : responseTokens }
}

/// The slot after EOS of TRL's PPOv2 trainer: not an action (no log-prob, not whitened, no policy
/// loss), but a step of GAE whose reward is the score and whose value is V(s after EOS):
///   delta_slot = score - V_slot,  A_slot = delta_slot,  return_slot = score.
public struct ScoreSlot: Sendable, Equatable {
    public internal(set) var value: Double
    public internal(set) var reward: Double
    public internal(set) var delta: Double = 0
    public internal(set) var rawAdvantage: Double = 0
    public internal(set) var `return`: Double = 0

    public init(value: Double, reward: Double, delta: Double = 0, rawAdvantage: Double = 0, return: Double = 0) {
        self.value = value
        self.reward = reward
        self.delta = delta
        self.rawAdvantage = rawAdvantage
        self.return = `return`
    }
}

/// The batch of one PPO iteration.
public struct RolloutBatch: Sendable, Equatable {
    public internal(set) var rollouts: [Rollout]
    /// beta used for the shaped rewards.
    public let klCoef: Double
    /// The settings the batch was computed with (its KL estimator, gamma, lambda, score position, ...);
    /// views show these, not today's settings.
    public let config: PPOConfig
    /// Whether `advantages` holds whitened values: false only for a single token, whose variance is undefined.
    public let whitened: Bool

    public var tokenCount: Int { rollouts.reduce(0) { $0 + $1.tokenCount } }
}

extension Rollout {
    /// An empty rollout, to fill in (a trace's reader does; trainers use the memberwise initialiser).
    public static let empty = Rollout()
}
