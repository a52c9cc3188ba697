import RLHFEngine

/// How an update moved the probability of one token the batch took: pi(a_t | s_t) = exp(log p)
/// before the update (the rollout's log p_old) and after it, beside the token's whitened A_t.
public struct ProbabilityMove: Sendable, Equatable {
    public let rollout: Int
    public let t: Int
    public let before: Double
    public let after: Double
    public let advantage: Double

    /// after - before.
    public var change: Double { after - before }
    /// Whether the probability moved in the advantage's direction: change * A_t > 0.
    public var followsAdvantage: Bool { change * advantage > 0 }
}

extension PPOIteration {
    /// Every response token's probability before and after the update, largest |change| first
    /// (equal changes in batch order).
    public var probabilityMoves: [ProbabilityMove] {
        var moves: [ProbabilityMove] = []
        for (index, rollout) in batch.rollouts.enumerated() {
            for t in 0..<rollout.tokenCount {
                moves.append(ProbabilityMove(rollout: index, t: t, before: PortableMath.exp(rollout.logprobs[t]),
                                             after: PortableMath.exp(logprobsAfter[index][t]),
                                             advantage: rollout.advantages[t]))
            }
        }
        return moves.sorted {
            let (first, second) = (abs($0.change), abs($1.change))
            return first != second ? first > second : ($0.rollout, $0.t) < ($1.rollout, $1.t)
        }
    }
}
