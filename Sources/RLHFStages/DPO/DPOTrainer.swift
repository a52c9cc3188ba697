import RLHFEngine

/// One preference pair as DPO sees it: the four log-probs, the two implicit rewards, their
/// margin and the pair's loss.
public struct DPOPairReadout: Sendable, Equatable {
    public let chosenLogp: Double
    public let rejectedLogp: Double
    public let referenceChosenLogp: Double
    public let referenceRejectedLogp: Double
    /// beta (log pi - log pi_ref) of the chosen and the rejected completion.
    public let chosenReward: Double
    public let rejectedReward: Double
    public let loss: Double

    /// chosen reward - rejected reward: beta z in the loss.
    public var margin: Double { chosenReward - rejectedReward }
}

/// Direct preference optimisation, as TRL's DPOTrainer: the policy learns from preference
/// pairs directly, with no reward model and no sampling, against a frozen reference (the SFT
/// model). One Adam step per minibatch of pairs minimises `DPOLoss`.
public final class DPOTrainer {
    /// The model trained (the session's policy).
    public let policy: GPT2
    /// The frozen reference pi_ref (the SFT model): never changed, read with no graph.
    public let reference: GPT2
    public let config: DPOConfig
    public let optimizer: Adam
    /// Held-out prompts to sample after each step, or nil: DPO draws no samples of its own, so with them
    /// each step's event carries the policy's `gold/score` and `kl_to_sft` on their draws (see `afterStepMetrics`).
    public var heldOutSampling: HeldOutSampling?
    private let eosID: Int

    public init(policy: GPT2, reference: GPT2, tokenizer: Tokenizer, config: DPOConfig = DPOConfig()) {
        self.policy = policy
        self.reference = reference
        self.config = config
        eosID = tokenizer.eosID
        optimizer = Adam(parameters: policy.parameters, learningRate: Float(config.learningRate),
                         maxGradNorm: Float(config.maxGradNorm))
    }

    /// The log-probs of `pairs` under the policy (with a graph, if one is being recorded) and
    /// the reference (without). Chosen and rejected go through each model in one pass, as
    /// TRL's `concatenated_forward` does.
    public func logProbs(_ pairs: [PreferencePair]) -> DPOLoss.LogProbs {
        let completions = pairs.map(\.chosen) + pairs.map(\.rejected)
        let averaged = config.lossType.averagesLogProbs
        let policyLogps = CompletionLogProbs.of(completions, model: policy, eosID: eosID, averaged: averaged)  // (2B)
        let referenceLogps = GradientMode.withoutRecording {
            CompletionLogProbs.of(completions, model: reference, eosID: eosID, averaged: averaged)
        }
        let chosen = Array(0..<pairs.count), rejected = Array(pairs.count..<(2 * pairs.count))
        return DPOLoss.LogProbs(chosen: policyLogps.selectRows(chosen), rejected: policyLogps.selectRows(rejected),
                                referenceChosen: referenceLogps.selectRows(chosen),
                                referenceRejected: referenceLogps.selectRows(rejected))
    }

    /// TRL's evaluation metrics on `pairs`, with no graph: `eval_loss` and the `eval_`-prefixed
    /// rewards and log-probs.
    public func evaluate(_ pairs: [PreferencePair], prefix: String = "eval_") -> [Metric] {
        GradientMode.withoutRecording {
            let logps = logProbs(pairs)
            return [Metric("\(prefix)loss", Double(DPOLoss.loss(logps, config: config).item))]
                + DPOLoss.metrics(logps, beta: config.beta, prefix: prefix)
        }
    }

    /// Each pair's log-probs, implicit rewards and loss, with no graph.
    public func readouts(_ pairs: [PreferencePair]) -> [DPOPairReadout] {
        GradientMode.withoutRecording {
            let logps = logProbs(pairs)
            let losses = DPOLoss.perPairLosses(logps, config: config).data
            let columns = [logps.chosen, logps.rejected, logps.referenceChosen, logps.referenceRejected]
                .map { $0.data.map(Double.init) }
            return pairs.indices.map { index in
                let (chosen, rejected) = (columns[0][index], columns[1][index])
                let (referenceChosen, referenceRejected) = (columns[2][index], columns[3][index])
                return DPOPairReadout(
                    chosenLogp: chosen, rejectedLogp: rejected,
                    referenceChosenLogp: referenceChosen, referenceRejectedLogp: referenceRejected,
                    chosenReward: DPOLoss.implicitRewards([chosen], [referenceChosen], beta: config.beta)[0],
                    rejectedReward: DPOLoss.implicitRewards([rejected], [referenceRejected], beta: config.beta)[0],
                    loss: Double(losses[index]))
            }
        }
    }
}

extension DPOTrainer: MinibatchTrainer {
    public var minibatchSize: Int { config.perDeviceTrainBatchSize }
    public var evaluationInterval: Int { config.evalSteps }

    /// The DPO loss of the minibatch, with TRL's reward and log-prob metrics.
    public func minibatchLoss(_ batch: [PreferencePair]) -> (loss: Tensor, metrics: [Metric]) {
        let logps = logProbs(batch)
        return (DPOLoss.loss(logps, config: config), DPOLoss.metrics(logps, beta: config.beta))
    }

    /// TRL's eval_ metrics.
    public func heldOutMetrics(_ examples: [PreferencePair]) -> [Metric] { evaluate(examples) }

    /// With `heldOutSampling`, the policy's `gold/score` and `kl_to_sft` on its draws after the step.
    public func afterStepMetrics() -> [Metric] { heldOutSampling?.metrics() ?? [] }
}
