import RLHFEngine

/// Settings of a supervised run (TRL's SFTConfig names in comments).
public struct SupervisedConfig: Sendable, Equatable {
    /// Adam's learning rate (`learning_rate`).
    public var learningRate: Float = 3e-3
    /// Examples per step (`per_device_train_batch_size`).
    public var batchSize: Int = 16
    /// Gradient-norm clipping (`max_grad_norm`).
    public var maxGradNorm: Float = 1.0
    /// Evaluate the held-out loss every this many steps, and at the last step (`eval_steps`).
    public var evaluationInterval: Int = 25

    public init() {}
}

/// Supervised fine-tuning: next-token cross-entropy on completions, minimised with Adam.
/// Also pre-trains a base model, with each corpus sentence's first word as its "prompt".
public final class SupervisedTrainer {
    public let model: GPT2
    public let config: SupervisedConfig
    public let optimizer: Adam
    private let eosID: Int

    public init(model: GPT2, tokenizer: Tokenizer, config: SupervisedConfig = SupervisedConfig()) {
        self.model = model
        self.config = config
        eosID = tokenizer.eosID
        optimizer = Adam(parameters: model.parameters, learningRate: config.learningRate,
                         maxGradNorm: config.maxGradNorm)
    }

    /// Mean next-token loss on `examples`, with no gradient recorded.
    public func evaluate(_ examples: [PromptResponse]) -> Double {
        GradientMode.withoutRecording {
            Double(LanguageModelLoss.loss(model: model, batch: examples, eosID: eosID).item)
        }
    }
}

extension SupervisedTrainer: MinibatchTrainer {
    public var minibatchSize: Int { config.batchSize }
    public var evaluationInterval: Int { config.evaluationInterval }

    /// The mean next-token loss of the minibatch.
    public func minibatchLoss(_ batch: [PromptResponse]) -> (loss: Tensor, metrics: [Metric]) {
        (LanguageModelLoss.loss(model: model, batch: batch, eosID: eosID), [])
    }

    /// `eval_loss`.
    public func heldOutMetrics(_ examples: [PromptResponse]) -> [Metric] { [Metric("eval_loss", evaluate(examples))] }
}
