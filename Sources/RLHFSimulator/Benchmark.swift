import Foundation
import RLHFEngine
import RLHFStages

/// Timing of the engine on the default model: throughput of the batched forward and
/// backward passes, the latency of one next-token step, and one whole PPO iteration
/// split by phase.
///
/// `run()` only measures and returns a `BenchmarkReport`; printing (and filling in
/// `startupMs` and `pipelineSeconds`, which only the caller can time) is left to the
/// executable. Every figure is a median over `repetitions` runs (4x as many for the
/// throughput figures and the pre-training step, 20x for the next-token latencies) after
/// one warm-up run.
/// The models are randomly initialised from a fixed seed: the time taken hardly depends
/// on the weights, and generation is forced to run to `responseLength` tokens (no stop at
/// EOS), so every run does the same amount of work.
public struct Benchmark: Sendable {
    /// Model size (the world's default: vocab 62, width 48, 2 layers, 4 heads, context 32).
    public var model: GPT2Config
    /// PPO settings (batch size, epochs, minibatches, response length are read from here).
    public var ppo: PPOConfig
    /// Rows of the throughput batches and of the pre-training step.
    public var batchSize: Int
    /// Tokens per row of the throughput batches.
    public var sequenceLength: Int
    /// Tokens of every PPO prompt (random tokens, never pad or EOS).
    public var promptLength: Int
    /// Context of the next-token latency measurements.
    public var contextLength: Int
    /// Timed runs per figure (the median is reported).
    public var repetitions: Int
    /// Seed of the weights, prompts and sampling.
    public var seed: UInt64

    public init(model: GPT2Config = GPT2Config(vocabularySize: WorldVocabulary.tokens.count),
                ppo: PPOConfig = PPOConfig(), batchSize: Int = 16, sequenceLength: Int = 24,
                promptLength: Int = 8, contextLength: Int = 12, repetitions: Int = 5, seed: UInt64 = 7) {
        self.model = model
        self.ppo = ppo
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.promptLength = promptLength
        self.contextLength = contextLength
        self.repetitions = repetitions
        self.seed = seed
    }

    /// Runs every measurement and returns the report.
    public func run() -> BenchmarkReport {
        precondition(repetitions > 0, "repetitions must be positive")
        precondition(sequenceLength <= model.contextLength && contextLength < model.contextLength
                     && promptLength + ppo.responseLength <= model.contextLength,
                     "benchmark sequences exceed the model's context")
        let tokenizer = WorldVocabulary.tokenizer
        var random = RandomGenerator(seed: seed)
        let gpt = GPT2(config: model, random: &random)
        let vocabulary = model.vocabularySize
        // Random ids that are neither pad (0) nor EOS (1).
        func randomTokens(_ count: Int) -> [Int] {
            (0..<count).map { _ in 2 + random.nextInt(below: vocabulary - 2) }
        }

        // Throughput: forward only, and forward + backward of the next-token loss.
        let rows = (0..<batchSize).map { _ in randomTokens(sequenceLength) }
        let targets = rows.flatMap { Array($0.dropFirst()) + [0] }
        let forwardSeconds = median(repeats: 4 * repetitions) {
            _ = GradientMode.withoutRecording { gpt.logits(rows) }
        }
        let trainSeconds = median(repeats: 4 * repetitions) {
            let loss = gpt.logits(rows).crossEntropy(targets: targets)
            loss.backward()
            for parameter in gpt.parameters { parameter.zeroGrad() }
        }
        let batchTokens = Double(batchSize * sequenceLength)

        // One pre-training step as the world builder takes it: 16 corpus sentences,
        // loss, backward, Adam.
        let corpus = WorldText.corpus.map { sentence -> PromptResponse in
            let ids = try! tokenizer.encode(sentence, source: "the benchmark")
            return PromptResponse(prompt: [ids[0]], response: Array(ids.dropFirst()))
        }
        let pretrained = gpt.copy()
        let optimizer = Adam(parameters: pretrained.parameters, learningRate: 3e-3, maxGradNorm: 1)
        var stepIndex = 0
        let stepSeconds = median(repeats: 4 * repetitions) {
            let batch = (0..<batchSize).map { corpus[(stepIndex * batchSize + $0) % corpus.count] }
            stepIndex += 1
            let loss = LanguageModelLoss.loss(model: pretrained, batch: batch, eosID: tokenizer.eosID)
            loss.backward()
            optimizer.step()
        }

        // Latency of one next-token call and of one sampled step on a short context.
        let context = randomTokens(contextLength)
        let logitsSeconds = median(repeats: 20 * repetitions) { _ = gpt.nextTokenLogits(context) }
        var samplingRandom = RandomGenerator(seed: seed &+ 1)
        let sampleSeconds = median(repeats: 20 * repetitions) {
            _ = Sampler().sample(logits: gpt.nextTokenLogits(context), random: &samplingRandom)
        }
        let generateSeconds = median {
            _ = gpt.generate(prompt: Array(context.prefix(promptLength)), maxNewTokens: ppo.responseLength,
                             eosID: -1, sampler: Sampler(), random: &samplingRandom)
        }

        // One PPO iteration: generation, the scoring forward passes, the update.
        let ppoTimes = ppoIteration(sft: gpt, tokenizer: tokenizer)
        let commands = commandLatencies()

        let config = configuration
        let flop = BenchmarkReport.ppoIterationFlop(config: config, parameters: gpt.parameterCount)
        return BenchmarkReport(
            config: config, startupMs: nil, stepMs: commands.step * 1000, logitsMs: commands.logits * 1000,
            pretrainingStepMs: stepSeconds * 1000, nextTokenLogitsMs: logitsSeconds * 1000,
            sampleStepMs: sampleSeconds * 1000,
            generationTokenMs: generateSeconds * 1000 / Double(ppo.responseLength),
            ppoIterationMs: ppoTimes.total * 1000, ppoGenerationMs: ppoTimes.generation * 1000,
            ppoScoringMs: ppoTimes.scoring * 1000, ppoUpdateMs: ppoTimes.update * 1000,
            ppoFirstRatioExact: ppoTimes.firstRatioExact, pipelineSeconds: nil,
            ppoIterationGflop: flop / 1e9, gflops: flop / ppoTimes.total / 1e9,
            peakRSSMegabytes: BenchmarkReport.peakResidentMegabytes(),
            forwardTokensPerSecond: batchTokens / forwardSeconds, trainTokensPerSecond: batchTokens / trainSeconds,
            parameters: gpt.parameterCount)
    }

    /// The model and PPO sizes, as the report states them.
    var configuration: BenchmarkReport.Configuration {
        BenchmarkReport.Configuration(
            vocabSize: model.vocabularySize, nEmbd: model.embeddingWidth, nLayer: model.layerCount,
            nHead: model.headCount, nPositions: model.contextLength, batchSize: ppo.batchSize,
            promptLength: promptLength, responseLength: ppo.responseLength, epochs: ppo.numPPOEpochs,
            minibatches: ppo.numMiniBatches)
    }

    /// Median phase times of one PPO iteration on a fresh random model of `model`'s size.
    func ppoIterationTimes() -> PPOTimes {
        var random = RandomGenerator(seed: seed)
        return ppoIteration(sft: GPT2(config: model, random: &random), tokenizer: WorldVocabulary.tokenizer)
    }

    struct PPOTimes {
        var generation: Double, scoring: Double, update: Double, total: Double
        var firstRatioExact: Bool
    }

    /// Median phase times of PPO iterations on fresh copies of the models.
    private func ppoIteration(sft: GPT2, tokenizer: Tokenizer) -> PPOTimes {
        var generation: [Double] = [], scoring: [Double] = [], update: [Double] = [], total: [Double] = []
        var exact = true
        let clock = ContinuousClock()
        for repetition in 0...repetitions {  // repetition 0 is the warm-up
            var local = RandomGenerator(seed: seed &+ 100 &+ UInt64(repetition))
            let reward = RewardModel(initialisedFrom: sft, tokenizer: tokenizer, random: &local)
            let policy = ActorCritic(initialisedFrom: sft, random: &local)
            let trainer = PPOTrainer(policy: policy, reference: sft.copy(), rewardModel: reward,
                                     annotator: Annotator(tokenizer: tokenizer), tokenizer: tokenizer, config: ppo)
            let prompts = (0..<ppo.batchSize).map { _ in
                (0..<promptLength).map { _ in 2 + local.nextInt(below: model.vocabularySize - 2) }
            }
            let sampler = trainer.collector.sampler
            let start = clock.now
            // EOS id -1 never matches: every response runs to `responseLength` tokens. One generator, as
            // `RolloutCollector.sample` uses.
            let generator = Generator(model: policy.model)
            let responses = prompts.map { prompt in
                generator.generate(prompt: prompt, maxNewTokens: ppo.responseLength, eosID: -1,
                                   sampler: sampler, random: &local)
            }
            let generated = clock.now
            let batch = try! trainer.prepare(trainer.collector.record(prompts: prompts, responses: responses))
            let scored = clock.now
            let iteration = trainer.update(batch: batch, random: &local)
            let end = clock.now
            if let first = iteration.updates.first, !first.ratio.allSatisfy({ $0.allSatisfy { $0 == 1 } }) {
                exact = false
            }
            guard repetition > 0 else { continue }
            generation.append(seconds(generated - start))
            scoring.append(seconds(scored - generated))
            update.append(seconds(end - scored))
            total.append(seconds(end - start))
        }
        return PPOTimes(generation: Self.median(generation), scoring: Self.median(scoring),
                        update: Self.median(update), total: Self.median(total), firstRatioExact: exact)
    }

    /// Median seconds of the `step` and `logits 10` commands, typed into an interpreter on
    /// the built-in world after a prompt and three steps (each `step` is undone with `back`).
    private func commandLatencies() -> (step: Double, logits: Double) {
        guard let session = try? WorldLocation.startSession(seed: seed) else { return (.nan, .nan) }
        let interpreter = Interpreter(session: session)
        let console = TextConsole()
        for line in ["prompt create a description for plantation palms .", "step enjoy", "step some", "step fun"] {
            _ = interpreter.execute(line, console: console)
        }
        let step = median(repeats: 20 * repetitions) {
            _ = interpreter.execute("step", console: console)
            _ = interpreter.execute("back", console: console)
        }
        let logits = median(repeats: 20 * repetitions) { _ = interpreter.execute("logits 10", console: console) }
        _ = console.take()
        return (step, logits)
    }

    /// The median time of `body` in seconds over `repeats` runs, after one warm-up run.
    private func median(repeats: Int? = nil, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        body()
        var times: [Double] = []
        for _ in 0..<(repeats ?? repetitions) {
            let start = clock.now
            body()
            times.append(seconds(clock.now - start))
        }
        return Self.median(times)
    }

    private func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) * 1e-18
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
