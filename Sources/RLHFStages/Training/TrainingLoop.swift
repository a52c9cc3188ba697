import RLHFEngine

/// The loop shared by supervised fine-tuning and reward-model training: shuffled
/// minibatches drawn epoch after epoch, one optimiser step each, held-out metrics every
/// `evaluationInterval` steps and at the last, and a callback after every step that may
/// stop the run there.
enum TrainingLoop {
    /// - Parameters:
    ///   - exampleCount: the size of the training set; minibatches are index groups into it.
    ///   - step: one optimiser step on the examples at the given indices; returns its metrics.
    ///   - evaluate: held-out metrics, or nil when there is no held-out set.
    static func run(
        steps: Int, exampleCount: Int, batchSize: Int, evaluationInterval: Int,
        random: inout RandomGenerator, progress: ProgressCallback,
        step: ([Int]) -> [Metric], evaluate: (() -> [Metric])?
    ) -> TrainingHistory {
        var history = TrainingHistory()
        guard steps > 0 else { return history }
        var queue: [[Int]] = []
        for index in 1...steps {
            if queue.isEmpty {
                queue = Batching.shuffledGroups(count: exampleCount, size: batchSize, random: &random)
            }
            var metrics = step(queue.removeFirst())
            if let evaluate, index % evaluationInterval == 0 || index == steps {
                metrics += evaluate()
            }
            let event = TrainingEvent(step: index, totalSteps: steps, metrics: metrics)
            history.record(event)
            if progress(event) == .stop {
                history.markStopped()
                break
            }
        }
        return history
    }
}
