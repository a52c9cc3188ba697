import RLHFStages

/// A trace's rollout record from its numbers, as the tests' reference vectors give them.
func rolloutRecord(promptTokens: [Int], responseTokens: [Int], endedWithEOS: Bool, promptText: String? = nil,
                   responseText: String? = nil, logprobs: [Double], refLogprobs: [Double], values: [Double],
                   rmScore: Double, score: Double, goldScore: Double?, kl: [Double], nonScoreRewards: [Double],
                   rewards: [Double], deltas: [Double], rawAdvantages: [Double], advantages: [Double],
                   returns: [Double], logprobsAfter: [Double]? = nil, valueAfterLast: Double = 0)
    -> PPOTrace.RolloutRecord {
    var rollout = Rollout.empty
    rollout.promptTokens = promptTokens
    rollout.responseTokens = responseTokens
    rollout.endedWithEOS = endedWithEOS
    rollout.logprobs = logprobs
    rollout.refLogprobs = refLogprobs
    rollout.values = values
    rollout.rewardModelScore = rmScore
    rollout.score = score
    rollout.goldScore = goldScore
    rollout.kl = kl
    rollout.nonScoreRewards = nonScoreRewards
    rollout.rewards = rewards
    rollout.deltas = deltas
    rollout.rawAdvantages = rawAdvantages
    rollout.advantages = advantages
    rollout.returns = returns
    rollout.valueAfterLast = valueAfterLast
    return PPOTrace.RolloutRecord(rollout: rollout, promptText: promptText, responseText: responseText,
                                  logprobsAfter: logprobsAfter)
}
