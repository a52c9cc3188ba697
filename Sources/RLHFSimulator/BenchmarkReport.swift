import Foundation
import RLHFEngine
import RLHFStages

/// What `Benchmark.run()` measured. Times are medians; `json` renders it.
public struct BenchmarkReport: Sendable, Equatable {
    public struct Configuration: Sendable, Equatable {
        public var vocabSize: Int, nEmbd: Int, nLayer: Int, nHead: Int, nPositions: Int
        public var batchSize: Int, promptLength: Int, responseLength: Int, epochs: Int, minibatches: Int
    }

    public var config: Configuration
    /// Time from launch to a ready simulator: the caller measures and fills it in.
    public var startupMs: Double?
    /// The REPL's `step` command on the built-in world, through the interpreter: sample a
    /// token, then the policy, reference and critic read the episode (then `back`).
    public var stepMs: Double
    /// The REPL's `logits` command (top 10) on the built-in world, through the interpreter.
    public var logitsMs: Double
    /// One pre-training step: 16 corpus rows, next-token loss, backward, Adam.
    public var pretrainingStepMs: Double
    /// One `nextTokenLogits` call on a `contextLength`-token context.
    public var nextTokenLogitsMs: Double
    /// One sampled step: `nextTokenLogits` on the same context, then `Sampler.sample`.
    public var sampleStepMs: Double
    /// Per token of one `generate` call of `responseLength` tokens after a `promptLength` prompt.
    public var generationTokenMs: Double
    /// One PPO iteration (generation + scoring + update) and its phases.
    public var ppoIterationMs: Double
    public var ppoGenerationMs: Double
    /// The batched policy, reference and critic passes, one reward-model pass per rollout, GAE.
    public var ppoScoringMs: Double
    /// Every minibatch step (forward, backward, Adam) and the closing log-prob pass.
    public var ppoUpdateMs: Double
    /// Whether the first minibatch's ratio was exactly 1 for every token (it must be).
    public var ppoFirstRatioExact: Bool
    /// The whole world build, in seconds: the caller measures and fills it in.
    public var pipelineSeconds: Double?
    /// That time by part, in seconds and in order (pre-training, SFT, labelling, the reward model,
    /// the PPO iterations); empty when the pipeline was not run.
    public var pipelineStageSeconds: [StageTime] = []

    /// One part of the pipeline and its seconds.
    public struct StageTime: Sendable, Equatable {
        public var stage: String, seconds: Double
        public init(stage: String, seconds: Double) { (self.stage, self.seconds) = (stage, seconds) }
    }
    /// `ppoIterationFlop(...)` in units of 10^9.
    public var ppoIterationGflop: Double
    /// Achieved rate over the PPO iteration: GFLOP / ppo_iteration seconds.
    public var gflops: Double
    /// Peak resident memory of the process, in MiB.
    public var peakRSSMegabytes: Double
    public var forwardTokensPerSecond: Double
    public var trainTokensPerSecond: Double
    public var parameters: Int

    /// Estimated floating-point operations (a multiply and an add count as two) of one
    /// PPO iteration as `Benchmark` runs it, with P parameters, L layers, width C,
    /// prompt length p, response length r, T = p + r, batch B and E epochs:
    ///
    ///   forward(t) = 2 P + 4 L t C      one new position attending to t positions: every
    ///                                   weight is used once in a multiply-add (the tied LM
    ///                                   head through wte, so "2 x parameters"), plus q.k
    ///                                   and weights.v over t positions in each layer;
    ///   dense(T)   = sum_{t=1..T} forward(t) = 2 P T + 2 L C T (T + 1)
    ///                                   a causal pass over T tokens;
    ///   generation = B (dense(p) + sum_{t=p+1..T-1} forward(t))
    ///                                   the prompt at once, then one position per token
    ///                                   (earlier keys and values are reused);
    ///   scoring    = B (2 dense(T) + dense(T + 1))  policy + critic, reference, and the
    ///                                   reward model (which also reads the closing EOS);
    ///   update     = B (3 E dense(T) + dense(T))   forward + backward ~ 3 forward
    ///                                   passes per epoch, then the closing policy pass
    ///                                   (the log-probs after the update; PPOTrainer.finish).
    /// Layer norms, softmax, GELU, the value head and Adam are left out (O(P + L T C) per
    /// row, small next to the terms above).
    public static func ppoIterationFlop(config: Configuration, parameters: Int) -> Double {
        let p = Double(parameters)
        let (l, c) = (Double(config.nLayer), Double(config.nEmbd))
        func forward(_ t: Int) -> Double { 2 * p + 4 * l * Double(t) * c }
        func dense(_ t: Int) -> Double { 2 * p * Double(t) + 2 * l * c * Double(t) * Double(t + 1) }
        let total = config.promptLength + config.responseLength
        var generation = dense(config.promptLength)
        if config.promptLength + 1 < total {
            for t in (config.promptLength + 1)..<total { generation += forward(t) }
        }
        let scoring = 2 * dense(total) + dense(total + 1)
        let update = 3 * Double(config.epochs) * dense(total) + dense(total)
        return Double(config.batchSize) * (generation + scoring + update)
    }

    /// Peak resident set size: VmHWM from /proc/self/status, else getrusage's ru_maxrss.
    public static func peakResidentMegabytes() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
                let digits = line.dropFirst("VmHWM:".count).split(separator: " ").first.flatMap { Double($0) }
                if let kilobytes = digits { return kilobytes / 1024 }
            }
        }
        var usage = rusage()
        #if os(Linux)
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Double(usage.ru_maxrss) / 1024  // kilobytes
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        return Double(usage.ru_maxrss) / (1024 * 1024)  // bytes
        #endif
    }

    /// The report as one JSON object (keys in a fixed order; nil fields become null, numbers have
    /// four decimals).
    public var json: String {
        func number(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "null" }
            return String(format: "%.4f", value)
        }
        func numbers(_ entries: [(String, Double?)]) -> [(String, String)] { entries.map { ($0.0, number($0.1)) } }
        func object(_ members: [(String, String)]) -> String {
            "{" + members.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        }
        let configuration = [
            ("vocab_size", config.vocabSize), ("n_embd", config.nEmbd), ("n_layer", config.nLayer),
            ("n_head", config.nHead), ("n_positions", config.nPositions),
            (SharedSettingName.batchSize, config.batchSize),
            ("prompt_length", config.promptLength), (SharedSettingName.responseLength, config.responseLength),
            ("epochs", config.epochs), ("minibatches", config.minibatches),
        ].map { ($0.0, "\($0.1)") }
        let phases = numbers([("generation", ppoGenerationMs), ("scoring", ppoScoringMs), ("update", ppoUpdateMs)])
        let fields = [("config", object(configuration))]
            + numbers([("startup_ms", startupMs), ("step_ms", stepMs), ("logits_ms", logitsMs),
                       ("pretraining_step_ms", pretrainingStepMs), ("next_token_logits_ms", nextTokenLogitsMs),
                       ("sample_step_ms", sampleStepMs), ("generation_token_ms", generationTokenMs),
                       ("ppo_iteration_ms", ppoIterationMs)])
            + [("ppo_phases_ms", object(phases)), ("ppo_first_ratio_exact", ppoFirstRatioExact ? "true" : "false")]
            + numbers([("pipeline_s", pipelineSeconds)])
            + [("pipeline_stages_s", object(numbers(pipelineStageSeconds.map { ($0.stage, $0.seconds) })))]
            + numbers([("ppo_iteration_gflop", ppoIterationGflop), ("gflops", gflops),
                       ("peak_rss_mb", peakRSSMegabytes), ("forward_tokens_per_s", forwardTokensPerSecond),
                       ("train_tokens_per_s", trainTokensPerSecond)])
            + [("parameters", "\(parameters)")]
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}"
    }
}
