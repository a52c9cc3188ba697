import RLHFEngine

/// GRPO's per-token loss and its four normalisations, as TRL 1.16's `_compute_loss`.
public enum GRPOLoss {
    /// Everything one loss evaluation produced, per token of the batch (flattened, completion by completion).
    public struct Terms {
        public let loss: Tensor          // scalar: sum_t weight_t * perTokenLoss_t
        public let ratio: Tensor         // (N) coef_1
        public let perTokenLoss: Tensor  // (N) -min(coef_1 A, coef_2 A) + beta k3
        /// beta = 0: nil; else the per-token k3 (times coef_1 with use_bias_correction_kl), (N).
        public let kl: Tensor?
        /// The weight loss_type gives each token.
        public let weights: [Double]
        /// coef_1 < 1 - epsilon with A < 0, and coef_1 > 1 + epsilon_high with A > 0: the clipped term
        /// wins the min, so the token's policy gradient is zero.
        public let clippedLow: [Bool]
        public let clippedHigh: [Bool]
    }

    /// The weight of each token's term, so that loss = sum_t weight_t term_t:
    ///   grpo:    1 / (B L_i)              (mean over sequences of each sequence's token mean)
    ///   bnpo:    1 / N                    (N tokens in this batch)
    ///   dr_grpo: 1 / (B max_completion_length)
    ///   dapo:    1 / N_generation         (the tokens of the whole generation batch)
    /// grpo gives a short completion's tokens more weight each than a long one's: a long wrong
    /// answer is penalised less per token (the length bias Dr. GRPO removes).
    public static func weights(lengths: [Int], lossType: GRPOConfig.LossType, maxCompletionLength: Int,
                               generationTokens: Int) -> [[Double]] {
        let sequences = Double(lengths.count)
        let tokens = Double(max(lengths.reduce(0, +), 1))
        return lengths.map { length in
            let weight: Double
            switch lossType {
            case .grpo: weight = 1 / (sequences * Double(max(length, 1)))
            case .bnpo: weight = 1 / tokens
            case .drGRPO: weight = 1 / (sequences * Double(maxCompletionLength))
            case .dapo: weight = 1 / Double(max(generationTokens, 1))
            }
            return [Double](repeating: weight, count: length)
        }
    }

    /// The loss over completions whose tokens are flattened in `newLogprobs` (N):
    ///   coef_1 = exp(logp - old_logp)
    ///   coef_2 = clamp(coef_1, 1 - epsilon, 1 + epsilon_high)
    ///   term_t = -min(coef_1 A, coef_2 A) + beta k3_t,  k3 = exp(ref - logp) - (ref - logp) - 1
    ///            (k3 times coef_1 with use_bias_correction_kl)
    /// - Parameters:
    ///   - advantages: one per completion; every token of the completion carries it.
    ///   - lengths: tokens per completion, summing to N.
    ///   - generationTokens: dapo's normaliser, the tokens of the whole generation batch.
    public static func compute(newLogprobs: Tensor, oldLogprobs: [Double], refLogprobs: [Double],
                               advantages: [Double], lengths: [Int], config: GRPOConfig,
                               generationTokens: Int) -> Terms {
        let count = newLogprobs.shape[0]
        let shared = config.shared
        precondition(oldLogprobs.count == count && refLogprobs.count == count && lengths.reduce(0, +) == count,
                     "GRPO loss: \(count) log-probs, \(oldLogprobs.count) old, \(refLogprobs.count) reference, "
                        + "lengths summing to \(lengths.reduce(0, +))")
        precondition(advantages.count == lengths.count,
                     "\(advantages.count) advantages for \(lengths.count) completions")
        let tokenAdvantages = zip(advantages, lengths).flatMap { [Double](repeating: $0, count: $1) }
        let advantage = Tensor(shape: [count], data: tokenAdvantages.map(Float.init))
        let old = Tensor(shape: [count], data: oldLogprobs.map(Float.init))
        let ratio = (newLogprobs - old).exp()  // coef_1
        let clipped = ratio.clamped(min: Float(1 - shared.epsilon), max: Float(1 + shared.upperEpsilon))  // coef_2
        var perTokenLoss = -((ratio * advantage).minimum(clipped * advantage))
        var kl: Tensor?
        if shared.beta != 0 {
            // k3 = exp(ref - logp) - (ref - logp) - 1, >= 0 (Schulman's estimator of KL(pi || pi_ref)).
            let logRatio = Tensor(shape: [count], data: refLogprobs.map(Float.init)) - newLogprobs
            var k3 = logRatio.exp() - logRatio - 1
            if config.useBiasCorrectionKL { k3 = k3 * ratio }
            kl = k3
            perTokenLoss = perTokenLoss + k3 * Float(shared.beta)
        }
        let weights = Self.weights(lengths: lengths, lossType: config.lossType,
                                   maxCompletionLength: shared.samplingAndAdam.maxCompletionLength,
                                   generationTokens: generationTokens).flatMap { $0 }
        let loss = (perTokenLoss * Tensor(shape: [count], data: weights.map(Float.init))).sum()
        let ratios = ratio.data.map(Double.init)
        let clippedLow = zip(ratios, tokenAdvantages).map { $0 < 1 - shared.epsilon && $1 < 0 }
        let clippedHigh = zip(ratios, tokenAdvantages).map { $0 > 1 + shared.upperEpsilon && $1 > 0 }
        return Terms(loss: loss, ratio: ratio, perTokenLoss: perTokenLoss, kl: kl, weights: weights,
                     clippedLow: clippedLow, clippedHigh: clippedHigh)
    }
}
