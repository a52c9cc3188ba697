import RLHFEngine

/// Proximal Policy Optimisation for a language model, following TRL's PPO trainer:
/// collect rollouts, shape rewards with the KL penalty, assign credit with GAE,
/// then several epochs of clipped updates over shuffled minibatches.
public final class PPOTrainer {
    /// The models, the tokenizer and the settings, as the rollouts see them.
    public private(set) var collector: RolloutCollector

    public var policy: ActorCritic { collector.policy }
    public var reference: GPT2 { collector.reference }
    public var rewardModel: RewardModel { collector.rewardModel }
    public var annotator: Annotator? { collector.annotator }
    public var tokenizer: Tokenizer { collector.tokenizer }
    /// What scores its rollouts (`RewardSource`).
    public var rewardSource: RewardSource {
        get { collector.rewardSource }
        set { collector.rewardSource = newValue }
    }

    /// The settings; changing them takes effect from the next rollout or step
    /// (a new learning rate reaches Adam, a new kl_coef or adaptive target resets beta).
    public var config: PPOConfig {
        get { collector.config }
        set {
            let oldValue = collector.config
            collector.config = newValue
            optimizer.learningRate = Float(newValue.learningRate)
            optimizer.maxGradNorm = Float(newValue.maxGradNorm)
            if newValue.klCoef != oldValue.klCoef || newValue.adaptiveKLTarget != oldValue.adaptiveKLTarget
                || newValue.adaptiveKLHorizon != oldValue.adaptiveKLHorizon {
                klCoef = newValue.klCoef
                controller = PPOTrainer.controller(for: newValue)
            }
        }
    }
    public let optimizer: Adam
    /// Current beta (changes only with the adaptive controller).
    public private(set) var klCoef: Double
    private var controller: AdaptiveKLController?

    public init(policy: ActorCritic, reference: GPT2, rewardModel: RewardModel, annotator: Annotator?,
                tokenizer: Tokenizer, config: PPOConfig) {
        collector = RolloutCollector(policy: policy, reference: reference, rewardModel: rewardModel,
                                     annotator: annotator, tokenizer: tokenizer, config: config)
        klCoef = config.klCoef
        controller = PPOTrainer.controller(for: config)
        optimizer = Adam(parameters: policy.parameters, learningRate: Float(config.learningRate),
                         beta1: Float(config.adamBeta1), beta2: Float(config.adamBeta2),
                         epsilon: Float(config.adamEpsilon), maxGradNorm: Float(config.maxGradNorm))
    }

    /// Ziegler et al.'s controller when the settings ask for one.
    private static func controller(for config: PPOConfig) -> AdaptiveKLController? {
        config.adaptiveKLTarget.map {
            AdaptiveKLController(initialValue: config.klCoef, target: $0, horizon: config.adaptiveKLHorizon)
        }
    }

    // MARK: - The batch

    /// Samples one rollout per prompt and computes every per-token quantity.
    /// - Throws: `ConfigFieldError` when the adaptive controller's horizon is too short for this many
    ///   rollouts (`PPOConfig.adaptiveKLProblem`), before any is sampled.
    public func collectBatch(prompts: [[Int]], random: inout RandomGenerator) throws -> RolloutBatch {
        if let problem = config.adaptiveKLProblem(rollouts: prompts.count) { throw ConfigFieldError(problem) }
        return try prepare(collector.collect(prompts: prompts, random: &random))
    }

    /// KL, shaped rewards, GAE and whitening for recorded rollouts.
    /// - Parameter whitenAdvantages: false leaves the advantages raw (one token cannot be whitened).
    /// - Throws: `WhiteningError` when whitening is asked for over fewer than two tokens.
    public func prepare(_ rollouts: [Rollout], whitenAdvantages: Bool = true) throws -> RolloutBatch {
        try PPOTrainer.prepare(rollouts, config: config, klCoef: klCoef, whitenAdvantages: whitenAdvantages)
    }

    public static func prepare(_ rollouts: [Rollout], config: PPOConfig, klCoef: Double,
                               whitenAdvantages: Bool = true) throws -> RolloutBatch {
        var prepared = rollouts
        for index in prepared.indices {
            var rollout = prepared[index]
            rollout.kl = KLPenalty.perToken(logprobs: rollout.logprobs, refLogprobs: rollout.refLogprobs,
                                            estimator: config.klEstimator)
            rollout.nonScoreRewards = KLPenalty.nonScoreRewards(kl: rollout.kl, beta: klCoef)
            // PPOv2 puts the score one slot after EOS, unless EOS already fills the last slot of response_length.
            let slot = config.scorePosition == .afterEOS && rollout.endedWithEOS
                && rollout.tokenCount < config.responseLength
            rollout.rewards = KLPenalty.shapedRewards(nonScoreRewards: rollout.nonScoreRewards,
                                                      score: slot ? nil : rollout.score)
            rollout.afterEOS = slot ? ScoreSlot(value: rollout.valueAfterLast, reward: rollout.score) : nil
            prepared[index] = rollout
        }
        if config.whitenRewards {
            // TRL whitens rewards without shifting their mean (PPOv2: over the slot after EOS too).
            let whitened = try Advantages.whiten(prepared.map { $0.throughSlot($0.rewards, \.reward) },
                                                 shiftMean: false)
            for index in prepared.indices {
                prepared[index].rewards = Array(whitened[index].prefix(prepared[index].tokenCount))
                if prepared[index].afterEOS != nil { prepared[index].afterEOS!.reward = whitened[index].last! }
            }
        }
        for index in prepared.indices {
            var rollout = prepared[index]
            let count = rollout.tokenCount
            // With the slot after EOS, GAE runs one step further: its reward is the score, its value V_slot.
            let gae = Advantages.gae(rewards: rollout.throughSlot(rollout.rewards, \.reward),
                                     values: rollout.throughSlot(rollout.values, \.value),
                                     gamma: config.gamma, lambda: config.lam)
            rollout.deltas = Array(gae.deltas.prefix(count))
            rollout.rawAdvantages = Array(gae.advantages.prefix(count))
            rollout.returns = Array(gae.returns.prefix(count))
            if rollout.afterEOS != nil {
                rollout.afterEOS!.delta = gae.deltas[count]
                rollout.afterEOS!.rawAdvantage = gae.advantages[count]
                rollout.afterEOS!.return = gae.returns[count]
            }
            prepared[index] = rollout
        }
        if whitenAdvantages {
            // Only the response's own tokens (the actions) are whitened, as PPOv2's mask does.
            let whitened = try Advantages.whiten(prepared.map(\.rawAdvantages))
            for index in prepared.indices { prepared[index].advantages = whitened[index] }
        } else {
            for index in prepared.indices { prepared[index].advantages = prepared[index].rawAdvantages }
        }
        return RolloutBatch(rollouts: prepared, klCoef: klCoef, config: config, whitened: whitenAdvantages)
    }

    // MARK: - The update

    /// The order of an update: for each epoch, the batch shuffled and cut into
    /// `num_mini_batches` minibatches of nearly equal size (sizes differ by at most one
    /// when the batch does not divide evenly). Each entry is one optimiser step.
    public func updatePlan(batchSize: Int,
                           random: inout RandomGenerator) -> [(epoch: Int, minibatch: Int, indices: [Int])] {
        let groups = min(config.numMiniBatches, batchSize)
        var plan: [(Int, Int, [Int])] = []
        for epoch in 0..<config.numPPOEpochs {
            let order = random.shuffled(Array(0..<batchSize))
            for minibatch in 0..<groups {
                // Group g holds positions g*B/G ..< (g+1)*B/G of the shuffled order.
                let range = (minibatch * batchSize / groups)..<((minibatch + 1) * batchSize / groups)
                plan.append((epoch, minibatch, Array(order[range])))
            }
        }
        return plan
    }

    /// One optimiser step on the rollouts at `indices`: clipped policy loss plus
    /// vf_coef times the clipped value loss (minus an optional entropy bonus).
    public func step(batch: RolloutBatch, epoch: Int, minibatch: Int, indices: [Int]) -> MinibatchRecord {
        let rollouts = indices.map { batch.rollouts[$0] }
        let positions = PredictingPositions(rollouts.map(\.episode))
        // The policy runs on the real rows alone and the heads read only the positions that predict a response
        // token: the bits of the padded batch with both heads over every position, then picked.
        let picked = positions.hiddenStates(policy.model)  // (N, C)
        // The batch's temperature, so that before the first step the new log-probs equal the old ones.
        let (newLogprobs, scaledLogits, logSoftmax) = EpisodeReadout.logprobs(
            of: policy.model, hidden: picked, responseTokens: positions.targets, temperature: batch.config.temperature)
        let newValues = policy.valueHead(picked)  // (N)
        let old = rollouts.flatMap(\.logprobs), oldValues = rollouts.flatMap(\.values)
        let policyLoss = ClippedLosses.policy(newLogprobs: newLogprobs, oldLogprobs: old,
                                              advantages: rollouts.flatMap(\.advantages), cliprange: config.cliprange)
        let valueLoss = ClippedLosses.value(newValues: newValues, oldValues: oldValues,
                                            returns: rollouts.flatMap(\.returns), cliprange: config.cliprangeValue)
        var loss = policyLoss.loss + valueLoss.loss * Float(config.vfCoef)
        // With the bonus on, the entropy is in the graph and the record below reads the same tensor.
        let entropy = config.entropyCoef != 0 ? EpisodeReadout.entropy(scaledLogits: scaledLogits) : nil
        if let entropy {
            // Entropy bonus: H_t = -sum_a pi(a|s_t) log pi(a|s_t), averaged over tokens.
            loss = loss - entropy.mean() * Float(config.entropyCoef)
        }
        loss.backward()
        let gradNorm = optimizer.step()

        let entropies = entropy.map { $0.data.map(Double.init) }
            ?? EpisodeReadout.entropies(scaledLogits: scaledLogits, logSoftmax: logSoftmax)
        func perRollout(_ flat: [Float]) -> [[Double]] { positions.split(flat) }
        return MinibatchRecord(
            epoch: epoch, minibatch: minibatch, rolloutIndices: indices,
            newLogprobs: perRollout(newLogprobs.data), newValues: perRollout(newValues.data),
            ratio: perRollout(policyLoss.ratio.data),
            pgLossesUnclipped: perRollout(policyLoss.unclipped.data),
            pgLossesClipped: perRollout(policyLoss.clipped.data),
            vfLossesUnclipped: perRollout(valueLoss.unclipped.data),
            vfLossesClipped: perRollout(valueLoss.clipped.data),
            entropy: positions.split(entropies),
            pgLoss: Double(policyLoss.loss.item), vfLoss: Double(valueLoss.loss.item), loss: Double(loss.item),
            clipfrac: ClippedLosses.clipFraction(unclipped: policyLoss.unclipped.data,
                                                 clipped: policyLoss.clipped.data),
            vfClipfrac: ClippedLosses.valueClipFraction(newValues: newValues.data,
                                                        oldValues: oldValues,
                                                        unclipped: valueLoss.unclipped.data,
                                                        clipped: valueLoss.clipped.data,
                                                        cliprange: config.cliprangeValue),
            approxkl: ClippedLosses.approxKL(newLogprobs: newLogprobs.data, oldLogprobs: old),
            entropyMean: entropies.reduce(0, +) / Double(max(entropies.count, 1)),
            ratioMean: policyLoss.ratio.data.reduce(0.0) { $0 + Double($1) } / Double(max(policyLoss.ratio.count, 1)),
            gradNorm: Double(gradNorm))
    }

    /// Closes an update: log-probs after it, the iteration's metrics, the adaptive beta.
    public func finish(batch: RolloutBatch, updates: [MinibatchRecord]) -> PPOIteration {
        let after = GradientMode.withoutRecording { collector.policyLogprobs(batch.rollouts.map(\.episode)) }
        // objective/kl_coef is the beta this batch was shaped with, even if `kl_coef` was set since.
        let metrics = PPOMetrics.iteration(batch: batch, updates: updates, klCoef: batch.klCoef)
        if var controller {
            let kl = metrics.first { $0.name == "objective/kl" }!.value
            controller.update(currentKL: kl, steps: batch.rollouts.count)
            self.controller = controller
            klCoef = controller.value
        }
        return PPOIteration(batch: batch, updates: updates, logprobsAfter: after, metrics: metrics)
    }

    /// One whole iteration: rollouts for `prompts`, then the update.
    public func iterate(prompts: [[Int]], random: inout RandomGenerator) throws -> PPOIteration {
        let batch = try collectBatch(prompts: prompts, random: &random)
        return update(batch: batch, random: &random)
    }
}
