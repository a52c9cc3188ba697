import RLHFEngine

/// Settings of a reward-model run (TRL's RewardConfig names in comments).
public struct RewardConfig: Sendable, Equatable {
    public var learningRate: Float = 1e-3          // learning_rate
    public var batchSize: Int = 16                 // per_device_train_batch_size
    public var maxGradNorm: Float = 1.0            // max_grad_norm
    public var centerRewardsCoefficient: Float? = 0.01  // center_rewards_coefficient
    public var evaluationInterval: Int = 25        // eval_steps

    public init() {}
}

/// Trains a reward model on preference pairs with the Bradley-Terry loss.
public final class RewardTrainer {
    public let model: RewardModel
    public let config: RewardConfig
    public let optimizer: Adam

    public init(model: RewardModel, config: RewardConfig = RewardConfig()) {
        self.model = model
        self.config = config
        optimizer = Adam(parameters: model.parameters, learningRate: config.learningRate,
                         maxGradNorm: config.maxGradNorm)
    }

    /// Rewards of chosen and rejected responses, differentiable: two (B) tensors.
    private func rewards(_ pairs: [PreferencePair]) -> (chosen: Tensor, rejected: Tensor) {
        // One forward pass over chosen and rejected together, then split.
        let all = model.scores(pairs.map(\.chosen) + pairs.map(\.rejected))  // (2B)
        let count = pairs.count
        return (all.selectRows(Array(0..<count)), all.selectRows(Array(count..<(2 * count))))
    }

    /// TRL's metrics on `pairs` with no graph: accuracy, margin, mean/min/max reward.
    public func evaluate(_ pairs: [PreferencePair], prefix: String = "eval_") -> [Metric] {
        GradientMode.withoutRecording {
            let (chosen, rejected) = rewards(pairs)
            return BradleyTerryLoss.metrics(chosen: chosen.data, rejected: rejected.data, prefix: prefix)
        }
    }
}

extension RewardTrainer: MinibatchTrainer {
    public var minibatchSize: Int { config.batchSize }
    public var evaluationInterval: Int { config.evaluationInterval }

    /// The Bradley-Terry loss of the minibatch, with its accuracy and margin.
    public func minibatchLoss(_ batch: [PreferencePair]) -> (loss: Tensor, metrics: [Metric]) {
        let (chosen, rejected) = rewards(batch)
        let loss = BradleyTerryLoss.loss(chosen: chosen, rejected: rejected,
                                         centerCoefficient: config.centerRewardsCoefficient)
        return (loss, Array(BradleyTerryLoss.metrics(chosen: chosen.data, rejected: rejected.data).prefix(2)))
    }

    /// TRL's eval_ metrics.
    public func heldOutMetrics(_ examples: [PreferencePair]) -> [Metric] { evaluate(examples) }
}
