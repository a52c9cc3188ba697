/// Credit assignment: Generalised Advantage Estimation, and whitening.
public enum Advantages {
    /// GAE (Schulman et al., 2016) for one response, with the value after the last token 0:
    ///   delta_t = r_t + gamma V(s_{t+1}) - V(s_t)
    ///   A_t     = delta_t + gamma lambda A_{t+1}
    ///   R_t     = A_t + V(s_t)   (the return the critic is trained towards)
    /// - Returns: the deltas, the advantages and the returns, one per token.
    public static func gae(rewards: [Double], values: [Double], gamma: Double, lambda: Double)
        -> (deltas: [Double], advantages: [Double], returns: [Double]) {
        precondition(rewards.count == values.count, "GAE: \(rewards.count) rewards for \(values.count) values")
        let count = rewards.count
        var deltas = [Double](repeating: 0, count: count)
        var advantages = [Double](repeating: 0, count: count)
        var next = 0.0  // A_{t+1}
        for t in stride(from: count - 1, through: 0, by: -1) {
            let nextValue = t + 1 < count ? values[t + 1] : 0
            deltas[t] = rewards[t] + gamma * nextValue - values[t]
            next = deltas[t] + gamma * lambda * next
            advantages[t] = next
        }
        let returns = zip(advantages, values).map { $0 + $1 }
        return (deltas, advantages, returns)
    }

    /// Whitening over every token of a batch, as TRL's `masked_whiten`:
    ///   x' = (x - mean) / spread, plus the mean again when `shiftMean` is false,
    /// with the mean and spread of `whiteningStatistics` over all the values.
    /// - Throws: `WhiteningError` for fewer than two values, where the variance is undefined.
    public static func whiten(_ groups: [[Double]], shiftMean: Bool = true) throws -> [[Double]] {
        let (mean, spread) = try whiteningStatistics(groups.flatMap { $0 })
        let scale = 1 / spread
        return groups.map { group in group.map { (($0 - mean) * scale) + (shiftMean ? 0 : mean) } }
    }

    /// What `whiten` divides by, as TRL's `masked_whiten`:
    ///   mean = the mean of all values; var = sum((x - mean)^2) / (n - 1)  (Bessel);
    ///   spread = sqrt(var + 1e-8).
    /// - Throws: `WhiteningError` for fewer than two values, where the variance is undefined.
    public static func whiteningStatistics(_ values: [Double]) throws -> (mean: Double, spread: Double) {
        guard values.count >= 2 else { throw WhiteningError(tokenCount: values.count) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return (mean, (variance + 1e-8).squareRoot())
    }
}

/// Whitening needs at least two tokens.
public struct WhiteningError: Error, CustomStringConvertible, Equatable, Sendable {
    public let tokenCount: Int
    public var description: String {
        let tokens = "\(tokenCount) token\(tokenCount == 1 ? "" : "s")"
        return "cannot whiten advantages over \(tokens): the variance needs at least 2; "
            + "collect more or longer rollouts (batch N)"
    }
}
