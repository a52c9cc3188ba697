import RLHFEngine

/// Central finite differences of a scalar loss of one (N) input, against `backward()`.
/// The loss is evaluated in Float32, so with h = 1e-3 the numeric side is good to about
/// 1e-4 relative; the tests use a tolerance of 2e-3 absolute on gradients of order 0.1-1.
enum GroupGradientCheck {
    /// The largest |analytic - numeric| over the input's entries.
    static func largestError(input: [Double], h: Double = 1e-3, loss: (Tensor) -> Tensor) -> (error: Double,
                                                                                              scale: Double) {
        let leaf = Tensor(shape: [input.count], data: input.map(Float.init), requiresGrad: true)
        loss(leaf).backward()
        let analytic = leaf.grad!.map(Double.init)
        var worst = 0.0
        for index in input.indices {
            func value(_ shift: Double) -> Double {
                var moved = input
                moved[index] += shift
                return Double(GradientMode.withoutRecording {
                    loss(Tensor(shape: [moved.count], data: moved.map(Float.init))).item
                })
            }
            let numeric = (value(h) - value(-h)) / (2 * h)
            worst = max(worst, abs(numeric - analytic[index]))
        }
        return (worst, analytic.map(abs).max() ?? 0)
    }
}
