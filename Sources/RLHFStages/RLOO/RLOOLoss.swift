import RLHFEngine

/// RLOO's loss, as TRL 1.16: one importance ratio per completion, clipped as PPO's.
///
///   ratio_i = exp(sum_t log pi(a_t) - sum_t log pi_old(a_t))
///   L_i     = -min(ratio_i A_i, clamp(ratio_i, 1 - epsilon, 1 + epsilon_high) A_i)
///   loss    = mean_i L_i
public enum RLOOLoss {
    public struct Terms {
        public let loss: Tensor             // scalar
        public let ratio: Tensor            // (B) one per completion
        public let perSequenceLoss: Tensor  // (B)
        public let clippedLow: [Bool]       // ratio < 1 - epsilon with A < 0
        public let clippedHigh: [Bool]      // ratio > 1 + epsilon_high with A > 0
    }

    /// - Parameters:
    ///   - newLogprobs: (N) the completions' tokens flattened, completion by completion.
    ///   - lengths: tokens per completion, summing to N.
    public static func compute(newLogprobs: Tensor, oldLogprobs: [Double], advantages: [Double], lengths: [Int],
                               epsilon: Double, epsilonHigh: Double) -> Terms {
        let count = newLogprobs.shape[0]
        let sequences = lengths.count
        precondition(oldLogprobs.count == count && lengths.reduce(0, +) == count && advantages.count == sequences,
                     "RLOO loss: \(count) log-probs, \(oldLogprobs.count) old, \(advantages.count) advantages, "
                        + "lengths summing to \(lengths.reduce(0, +))")
        // membership[i][t] = 1 when flat token t belongs to completion i: a (B, N) mask whose
        // product with the (N) log-ratios, summed over the last axis, is each sequence's sum.
        var membership = [Float](repeating: 0, count: sequences * count)
        var offset = 0
        for (sequence, length) in lengths.enumerated() {
            for t in offset..<(offset + length) { membership[sequence * count + t] = 1 }
            offset += length
        }
        let old = Tensor(shape: [count], data: oldLogprobs.map(Float.init))
        let logRatio = (Tensor(shape: [sequences, count], data: membership) * (newLogprobs - old)).sumLastAxis()
        let ratio = logRatio.exp()  // (B)
        let advantage = Tensor(shape: [sequences], data: advantages.map(Float.init))
        let clipped = ratio.clamped(min: Float(1 - epsilon), max: Float(1 + epsilonHigh))
        let perSequenceLoss = -((ratio * advantage).minimum(clipped * advantage))
        let ratios = ratio.data.map(Double.init)
        return Terms(loss: perSequenceLoss.mean(), ratio: ratio, perSequenceLoss: perSequenceLoss,
                     clippedLow: zip(ratios, advantages).map { $0 < 1 - epsilon && $1 < 0 },
                     clippedHigh: zip(ratios, advantages).map { $0 > 1 + epsilonHigh && $1 > 0 })
    }
}
