import RLHFEngine

/// What GRPO's and RLOO's trainers share: a rollout collector over the policy and the frozen reference,
/// Adam on the policy's model only, and settings that reach both when they change.
/// `GRPOTrainer` and `RLOOTrainer` add their advantages, loss and metrics.
public class GroupTrainerCore<Config: GroupTrainingSettings> {
    public internal(set) var collector: RolloutCollector
    public let optimizer: Adam
    /// What scores its rollouts (`RewardSource`).
    public var rewardSource: RewardSource {
        get { collector.rewardSource }
        set { collector.rewardSource = newValue }
    }

    /// The settings; a new learning rate or max_grad_norm reaches Adam, sampling settings the next batch.
    public var config: Config {
        didSet { config.apply(to: &collector, optimizer) }
    }

    public required init(policy: ActorCritic, reference: GPT2, rewardModel: RewardModel, annotator: Annotator?,
                tokenizer: Tokenizer, config: Config) {
        self.config = config
        collector = RolloutCollector(policy: policy, reference: reference, rewardModel: rewardModel,
                                     annotator: annotator, tokenizer: tokenizer, config: config.sampling)
        optimizer = config.policyOptimizer(policy)
    }

    /// The policy's log-probs of the rollouts' tokens, flat, under logits / (temperature + 1e-7),
    /// with those scaled logits (`GroupReadout.logprobs`).
    func policyLogprobs(_ rollouts: [Rollout]) -> (logprobs: Tensor, scaledLogits: Tensor) {
        GroupReadout.logprobs(policy: collector.policy, rollouts: rollouts,
                              temperature: config.shared.samplingAndAdam.temperature)
    }

    /// One optimiser step of a group algorithm: the policy's log-probs of the batch's tokens, the algorithm's
    /// `loss` of them (given the log-probs, flat, and the completions' lengths), backpropagation and Adam.
    /// The record carries TRL's step metrics: kl (the token mean, when the loss holds it), entropy, then
    /// clip_ratio/low_mean, high_mean and region_mean (`GroupStepRecord.clipRatios` over the loss's units).
    func recordedStep(batch: GroupBatch, index: Int,
                      loss: (_ newLogprobs: Tensor, _ lengths: [Int]) -> GroupStepLoss) -> GroupStepRecord {
        let lengths = batch.rollouts.map(\.tokenCount)
        let (newLogprobs, scaledLogits) = policyLogprobs(batch.rollouts)
        let terms = loss(newLogprobs, lengths)
        terms.loss.backward()
        let gradNorm = optimizer.step()

        let clipRatios = GroupStepRecord.clipRatios(low: terms.clippedLow, high: terms.clippedHigh)
        var metrics: [Metric] = []
        if let kl = terms.kl { metrics.append(Metric(.kl, GroupReadout.mean(kl))) }
        metrics += [
            Metric(.entropy, GroupReadout.mean(EpisodeReadout.entropies(scaledLogits: scaledLogits))),
            Metric(.clipRatioLow, clipRatios.low),
            Metric(.clipRatioHigh, clipRatios.high),
            Metric(.clipRatioRegion, clipRatios.region),
        ]
        return GroupStepRecord(index: index, units: terms.units,
                               newLogprobs: PredictingPositions.split(newLogprobs.data, counts: lengths),
                               loss: Double(terms.loss.item), gradNorm: Double(gradNorm), metrics: metrics)
    }

    /// The iteration's record: the policy's log-probs after its steps, and TRL's metrics in TRL's order:
    /// reward, the algorithm's own `batchMetrics`, the steps' means, the loss, completions/* and the gold score.
    func iteration(batch: GroupBatch, steps: [GroupStepRecord], batchMetrics: [Metric]) -> GroupIteration {
        let after = GradientMode.withoutRecording { collector.policyLogprobs(batch.rollouts.map(\.episode)) }
        let base = GroupReadout.batchMetrics(batch)
        let metrics = [base[0]] + batchMetrics + GroupReadout.stepMeans(steps)
            + [Metric(.loss, GroupReadout.mean(steps.map(\.loss)))] + base.dropFirst()
        return GroupIteration(batch: batch, steps: steps, logprobsAfter: after, metrics: metrics)
    }

    /// `rollouts` in groups of num_generations, with the advantages' breakdowns and the groups' summaries.
    func groupBatch(_ rollouts: [Rollout], breakdowns: [AdvantageBreakdown], groups: [GroupSummary]) -> GroupBatch {
        GroupBatch(rollouts: rollouts, groupSize: config.shared.numGenerations, breakdowns: breakdowns, groups: groups)
    }
}

/// What an algorithm's loss gives `GroupTrainerCore.recordedStep`: the scalar to backpropagate, its units
/// (tokens or completions), which units were clipped low and high, and the per-token KL when in the loss.
struct GroupStepLoss {
    let loss: Tensor
    let units: [GroupStepRecord.Unit]
    let clippedLow: [Bool]
    let clippedHigh: [Bool]
    let kl: [Double]?
}
