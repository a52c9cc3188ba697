import RLHFEngine
import RLHFStages

/// Which algorithm the verbs `batch`, `advantages`, `credit`, `update` and `export trace` drive,
/// and the state of the group algorithms (GRPO, RLOO): their settings, trainers, last batch and steps.
///
/// The trainers train the session's policy (the same model PPO trains); they are rebuilt, and
/// the batch dropped, whenever the session's policy, reference or reward model is replaced.
public final class AlgorithmState {
    public enum Algorithm: String, CaseIterable, Sendable {
        case ppo, grpo, rloo
    }

    public var algorithm: Algorithm = .ppo
    public private(set) var grpo: GRPOTrainer?
    public private(set) var rloo: RLOOTrainer?
    /// The settings, kept across rebuilt trainers.
    public var grpoConfig = GRPOConfig() { didSet { grpo?.config = grpoConfig } }
    public var rlooConfig = RLOOConfig() { didSet { rloo?.config = rlooConfig } }
    /// The last group batch, which algorithm made it, and the steps taken on it so far.
    public var batch: GroupBatch?
    public var batchAlgorithm: Algorithm?
    /// The advantage formula under the settings `batch` was computed with (`advantages` says when it differs).
    public var batchFormula: String?
    public var steps: [GroupStepRecord] = []
    /// The finished iteration on `batch`, once its num_iterations steps are done.
    public var lastIteration: GroupIteration?
    /// The policy, reference and reward model the trainers were built for (held, so that identity is safe).
    private var models: [AnyObject] = []

    public init() {}

    /// Back to PPO with default settings and nothing collected (`restart`).
    public func reset() {
        algorithm = .ppo
        grpoConfig = GRPOConfig()
        rlooConfig = RLOOConfig()
        grpo = nil
        rloo = nil
        dropBatch()
    }

    public func dropBatch() {
        batch = nil
        batchAlgorithm = nil
        batchFormula = nil
        steps = []
        lastIteration = nil
    }

    /// The trainer of `algorithm` for `session`'s current models (nil for PPO).
    public func trainer(_ algorithm: Algorithm, session: Session) -> GroupAlgorithm? {
        let current: [AnyObject] = [session.policy, session.sft, session.reward]
        if current.count != models.count || zip(current, models).contains(where: { $0 !== $1 }) {
            models = current
            grpo = nil
            rloo = nil
            dropBatch()
        }
        switch algorithm {
        case .ppo:
            return nil
        case .grpo:
            return built(&grpo, config: grpoConfig, session: session)
        case .rloo:
            return built(&rloo, config: rlooConfig, session: session)
        }
    }

    /// `trainer`, built on `session`'s models with `config` if there is none yet, scoring with
    /// the session's reward source.
    private func built<Config, Trainer: GroupTrainerCore<Config>>(_ trainer: inout Trainer?, config: Config,
                                                                  session: Session) -> Trainer {
        let result = trainer ?? Trainer(policy: session.policy, reference: session.sft, rewardModel: session.reward,
                                        annotator: session.annotator, tokenizer: session.tokenizer, config: config)
        result.rewardSource = session.rewardSource
        trainer = result
        return result
    }

    /// The current algorithm's trainer, nil under PPO.
    public func current(_ session: Session) -> GroupAlgorithm? { trainer(algorithm, session: session) }

    /// The current algorithm's settings: name, meaning, read and write, under TRL's names.
    func fields() -> [(name: String, meaning: String, read: () -> String, write: (String) throws -> Void)] {
        switch algorithm {
        case .ppo:
            return []
        case .grpo:
            return GRPOConfig.fields.listed().map { field in
                (field.name, field.meaning, { field.read(self.grpoConfig) },
                 { text in var config = self.grpoConfig; try field.set(&config, to: text); self.grpoConfig = config })
            }
        case .rloo:
            return RLOOConfig.fields.listed().map { field in
                (field.name, field.meaning, { field.read(self.rlooConfig) },
                 { text in var config = self.rlooConfig; try field.set(&config, to: text); self.rlooConfig = config })
            }
        }
    }
}
