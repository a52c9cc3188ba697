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
        GroupReadout.logprobs(policy: collector.policy, rollouts: rollouts, padID: collector.tokenizer.padID,
                              temperature: config.samplingAndAdam.temperature)
    }

    /// One Adam step on `loss`: backpropagate, then step; the gradient norm before clipping.
    func optimiserStep(_ loss: Tensor) -> Float {
        loss.backward()
        return optimizer.step()
    }

    /// `rollouts` in groups of num_generations, with the advantages' breakdowns and the groups' summaries.
    func groupBatch(_ rollouts: [Rollout], breakdowns: [AdvantageBreakdown], groups: [GroupSummary]) -> GroupBatch {
        GroupBatch(rollouts: rollouts, groupSize: config.numGenerations, breakdowns: breakdowns, groups: groups)
    }
}
