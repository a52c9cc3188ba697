/// Losses built from the differentiable ops above.
extension Tensor {
    /// Next-token cross-entropy: for logits (..., V) and one target per row,
    /// mean over rows where `mask` is 1 of -log softmax(logits)[target].
    /// With no mask every row counts.
    public func crossEntropy(targets: [Int], mask: [Float]? = nil) -> Tensor {
        let logProbabilities = logSoftmax().gatherLastAxis(targets)  // (...)
        let negative = -logProbabilities
        guard let mask else { return negative.mean() }
        return negative.maskedMean(Tensor(shape: negative.shape, data: mask))
    }
}
