import RLHFEngine

/// What GRPO's and RLOO's settings share: how completions are sampled and how Adam steps the policy.
/// The trainers build their collector and optimiser from it in one place.
public protocol GroupTrainingSettings {
    var numGenerations: Int { get }
    var numIterations: Int { get }
    var promptsPerIteration: Int { get }
    var temperature: Double { get }
    var topK: Int { get }
    var maxCompletionLength: Int { get }
    var learningRate: Double { get }
    var adamBeta1: Double { get }
    var adamBeta2: Double { get }
    var adamEpsilon: Double { get }
    var maxGradNorm: Double { get }
}

extension GroupTrainingSettings {
    /// The sampling settings of the rollout collector (no critic, no missing-EOS rule).
    var sampling: PPOConfig {
        GroupReadout.sampling(temperature: temperature, topK: topK, maxCompletionLength: maxCompletionLength)
    }

    /// Adam on the policy's model only: the value head is neither trained nor read by GRPO or RLOO.
    func policyOptimizer(_ policy: ActorCritic) -> Adam {
        Adam(parameters: policy.model.parameters, learningRate: Float(learningRate), beta1: Float(adamBeta1),
             beta2: Float(adamBeta2), epsilon: Float(adamEpsilon), maxGradNorm: Float(maxGradNorm))
    }

    /// Carries a changed learning rate or max_grad_norm to `optimizer`, and the sampling settings to `collector`.
    func apply(to collector: inout RolloutCollector, _ optimizer: Adam) {
        collector.config = sampling
        optimizer.learningRate = Float(learningRate)
        optimizer.maxGradNorm = Float(maxGradNorm)
    }
}

extension GRPOConfig: GroupTrainingSettings {}
extension RLOOConfig: GroupTrainingSettings {}

/// A group trainer whose shape comes from its config: group size, prompts and steps per iteration.
public protocol ConfiguredGroupTrainer: GroupAlgorithm {
    associatedtype Config: GroupTrainingSettings
    var config: Config { get }
    /// Every setting under its TRL name, declared once.
    static var fields: [ConfigField<Config>] { get }
}

extension ConfiguredGroupTrainer {
    public var groupSize: Int { config.numGenerations }
    public var promptsPerIteration: Int { config.promptsPerIteration }
    public var stepsPerBatch: Int { config.numIterations }
    public var namedSettings: [(String, String)] { Self.fields.map { ($0.name, $0.read(config)) } }
}
