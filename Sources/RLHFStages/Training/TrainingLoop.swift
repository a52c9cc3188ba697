import RLHFEngine

/// The loop shared by supervised fine-tuning, reward-model training and DPO: shuffled
/// minibatches drawn epoch after epoch, one optimiser step each (the minibatch's loss,
/// backward, Adam), held-out metrics every `evaluationInterval` steps and at the last, and a
/// callback after every step that may stop the run there.
enum TrainingLoop {
    /// - Parameters:
    ///   - examples: the training set; minibatches are drawn from it.
    ///   - loss: the minibatch's scalar loss, and any metrics read off the same forward pass.
    ///   - evaluate: held-out metrics, or nil when there is no held-out set.
    ///   - afterStep: metrics of the model after each step (none by default).
    /// - Returns: each step's `loss`, `grad_norm` (before clipping), the loss's own metrics, on
    ///   evaluation steps the held-out ones, then `afterStep`'s.
    static func run<Example>(
        steps: Int, examples: [Example], batchSize: Int, evaluationInterval: Int,
        random: inout RandomGenerator, progress: ProgressCallback, optimizer: Adam,
        loss: ([Example]) -> (loss: Tensor, metrics: [Metric]), evaluate: (() -> [Metric])?,
        afterStep: () -> [Metric] = { [] }
    ) -> TrainingHistory {
        run(steps: steps, exampleCount: examples.count, batchSize: batchSize, evaluationInterval: evaluationInterval,
            random: &random, progress: progress,
            step: { indices in
                let (value, metrics) = loss(indices.map { examples[$0] })
                value.backward()
                let gradientNorm = optimizer.step()
                return [Metric("loss", Double(value.item)), Metric("grad_norm", Double(gradientNorm))] + metrics
            },
            evaluate: evaluate, afterStep: afterStep)
    }

    /// The loop itself, over index groups into a set of `exampleCount`; `step` takes one optimiser step.
    private static func run(
        steps: Int, exampleCount: Int, batchSize: Int, evaluationInterval: Int,
        random: inout RandomGenerator, progress: ProgressCallback,
        step: ([Int]) -> [Metric], evaluate: (() -> [Metric])?, afterStep: () -> [Metric]
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
            metrics += afterStep()
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

/// A trainer run by `TrainingLoop` (SFT, the reward model, DPO): it names its optimiser, its
/// minibatch size and evaluation interval, its minibatch loss and its held-out metrics, and gets
/// `train` from them.
public protocol MinibatchTrainer: AnyObject {
    associatedtype Example
    var optimizer: Adam { get }
    /// Examples per optimiser step (`per_device_train_batch_size`).
    var minibatchSize: Int { get }
    /// Steps between held-out evaluations (`eval_steps`); the last step is always evaluated.
    var evaluationInterval: Int { get }
    /// The minibatch's scalar loss, with a graph, and the metrics read off the same forward pass.
    func minibatchLoss(_ batch: [Example]) -> (loss: Tensor, metrics: [Metric])
    /// The held-out metrics (`eval_loss`, ...), with no graph.
    func heldOutMetrics(_ examples: [Example]) -> [Metric]
    /// Metrics of the model after each step, reported after the others (none by default).
    func afterStepMetrics() -> [Metric]
}

extension MinibatchTrainer {
    public func afterStepMetrics() -> [Metric] { [] }

    /// Runs `steps` Adam steps on shuffled minibatches of `training`, reporting `loss`, `grad_norm`
    /// and the loss's metrics each step, and the held-out metrics every `evaluationInterval` steps
    /// and at the last (none when `heldOut` is empty). The callback may stop the run after any
    /// whole step.
    public func train(
        training: [Example], heldOut: [Example], steps: Int,
        random: inout RandomGenerator, progress: ProgressCallback = { _ in .proceed }
    ) -> TrainingHistory {
        precondition(!training.isEmpty, "no training examples")
        return TrainingLoop.run(
            steps: steps, examples: training, batchSize: minibatchSize, evaluationInterval: evaluationInterval,
            random: &random, progress: progress, optimizer: optimizer, loss: minibatchLoss,
            evaluate: heldOut.isEmpty ? nil : { self.heldOutMetrics(heldOut) }, afterStep: afterStepMetrics)
    }
}
