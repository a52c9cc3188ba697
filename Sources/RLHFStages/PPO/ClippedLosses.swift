import RLHFEngine

/// PPO's two clipped losses (Schulman et al., 2017), over the tokens of a minibatch.
public enum ClippedLosses {
    /// The clipped surrogate objective, as a loss to minimise:
    ///   ratio_t = exp(log pi_new(a_t|s_t) - log pi_old(a_t|s_t))
    ///   L_t = max(-A_t ratio_t, -A_t clip(ratio_t, 1 - eps, 1 + eps))
    ///   pg_loss = mean_t L_t
    /// Taking the max of the two negated terms is the pessimistic (lower) bound of the
    /// surrogate: once the ratio has moved past 1 +/- eps in the advantage's favour the
    /// clipped term wins and its gradient is zero.
    public struct Policy {
        public let loss: Tensor           // scalar
        public let ratio: Tensor          // (N)
        public let unclipped: Tensor      // (N) -A ratio
        public let clipped: Tensor        // (N) -A clip(ratio)
    }

    public static func policy(newLogprobs: Tensor, oldLogprobs: [Double], advantages: [Double],
                              cliprange: Double) -> Policy {
        let count = newLogprobs.shape[0]
        let old = Tensor(shape: [count], data: oldLogprobs.map(Float.init))
        let negativeAdvantage = Tensor(shape: [count], data: advantages.map { Float(-$0) })
        let ratio = (newLogprobs - old).exp()
        let unclipped = negativeAdvantage * ratio
        let clipped = negativeAdvantage * ratio.clamped(min: Float(1 - cliprange), max: Float(1 + cliprange))
        return Policy(loss: unclipped.maximum(clipped).mean(), ratio: ratio, unclipped: unclipped, clipped: clipped)
    }

    /// The clipped value loss:
    ///   V_clip = V_old + clip(V_new - V_old, -c, c)
    ///   vf_loss = 0.5 mean_t max((V_new - R_t)^2, (V_clip - R_t)^2)
    /// (TRL clamps V_new itself to [V_old - c, V_old + c]: the same value and gradient up to the last float
    /// bit; `valueClipFraction` counts clipped tokens as TRL does.)
    public struct Value {
        public let loss: Tensor       // scalar
        public let unclipped: Tensor  // (N) (V_new - R)^2
        public let clipped: Tensor    // (N) (V_clip - R)^2
    }

    public static func value(newValues: Tensor, oldValues: [Double], returns: [Double], cliprange: Double) -> Value {
        let count = newValues.shape[0]
        let old = Tensor(shape: [count], data: oldValues.map(Float.init))
        let target = Tensor(shape: [count], data: returns.map(Float.init))
        let clippedPrediction = old + (newValues - old).clamped(min: Float(-cliprange), max: Float(cliprange))
        let unclipped = (newValues - target).square()
        let clipped = (clippedPrediction - target).square()
        return Value(loss: unclipped.maximum(clipped).mean() * 0.5, unclipped: unclipped, clipped: clipped)
    }

    /// Fraction of entries where the clipped term is strictly larger (TRL's clipfrac).
    public static func clipFraction(unclipped: [Float], clipped: [Float]) -> Double {
        Double(zip(clipped, unclipped).filter { $0 > $1 }.count) / Double(max(unclipped.count, 1))
    }

    /// TRL's vf_clipfrac: the fraction of tokens whose clipped value term is strictly larger, where V_new lies
    /// outside [V_old - c, V_old + c] (bounds in float32, as TRL's clip_by_value). Inside the range
    /// V_old + clip(V_new - V_old) can round one float step off V_new and make the clipped term larger by a
    /// rounding error; TRL's clamp of V_new itself gives V_new exactly there, so such a token is not clipped.
    public static func valueClipFraction(newValues: [Float], oldValues: [Double], unclipped: [Float],
                                         clipped: [Float], cliprange: Double) -> Double {
        var count = 0
        for index in newValues.indices {
            let old = Float(oldValues[index])
            let outside = newValues[index] > old + Float(cliprange) || newValues[index] < old - Float(cliprange)
            if outside && clipped[index] > unclipped[index] { count += 1 }
        }
        return Double(count) / Double(max(newValues.count, 1))
    }

    /// TRL's approxkl: 0.5 * mean_t (log pi_new - log pi_old)^2.
    public static func approxKL(newLogprobs: [Float], oldLogprobs: [Double]) -> Double {
        let total = zip(newLogprobs, oldLogprobs).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }
        return 0.5 * total / Double(max(newLogprobs.count, 1))
    }
}
