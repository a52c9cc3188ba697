/// Ziegler et al. (2019)'s adaptive KL controller: nudges beta so that the measured KL
/// approaches a target.
///   err = clip(KL / target - 1, -0.2, 0.2)
///   beta <- beta * (1 + err * n / horizon)
/// where n is the number of rollouts in the batch just measured.
public struct AdaptiveKLController: Sendable, Equatable {
    public private(set) var value: Double
    public let target: Double
    public let horizon: Double

    public init(initialValue: Double, target: Double, horizon: Double) {
        value = initialValue
        self.target = target
        self.horizon = horizon
    }

    public mutating func update(currentKL: Double, steps: Int) {
        let error = min(max(currentKL / target - 1, -0.2), 0.2)
        value *= 1 + error * Double(steps) / horizon
    }
}
