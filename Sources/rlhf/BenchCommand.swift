import ArgumentParser
import Foundation
import RLHFEngine
import RLHFStages
import RLHFSimulator

/// `rlhf bench [--json]`: how fast the engine and the simulator are, in this build.
/// `--ladder`, or any of `--width`, `--layers`, `--heads`, `--batch`: one PPO iteration on each rung.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure start-up, step and logits latency, one PPO iteration and the whole pipeline.")

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Flag(help: "Skip the whole-pipeline run (world build and 50 PPO iterations), which takes several seconds.")
    var quick = false

    @Flag(help: "Time one PPO iteration on d48 L2, d96 L4 and d192 L6 (4 heads), each at batch 16 and 64.")
    var ladder = false

    @Option(help: "Time one PPO iteration on a model of this width, at most 768 (with the other sizes: one rung).")
    var width: Int?

    @Option(help: "Layers of that model (default 2, at most 12).")
    var layers: Int?

    @Option(help: "Attention heads of that model (default 4; must divide the width).")
    var heads: Int?

    @Option(help: "Rollouts per PPO batch of that rung (default 16, at most 256).")
    var batch: Int?

    @Option(help: "Timed runs per figure (1 to 1000); the median is reported.")
    var repetitions = 5

    /// The largest rung: GPT-2 small's width and depth (its copies take a few gigabytes), 256 rollouts; the
    /// heads must divide the width (`rungs()`), so they are bounded by it.
    static let largest = (width: 768, layers: 12, batch: 256)

    func validate() throws {
        guard (1...1000).contains(repetitions) else {
            throw ValidationError("--repetitions takes 1 to 1000 runs, not \(repetitions)")
        }
        let limits = Self.largest
        for (name, value, bound) in [("--width", width, limits.width), ("--layers", layers, limits.layers),
                                     ("--batch", batch, limits.batch)] {
            if let value, value > bound { throw ValidationError("\(name) takes at most \(bound), not \(value)") }
        }
    }

    func run() throws {
        #if DEBUG
        let warning = "warning: a debug build; build with -c release for meaningful figures\n"
        FileHandle.standardError.write(Data(warning.utf8))
        #endif
        if let rungs = try rungs() {
            let ceiling = ArithmeticCeiling.measure()
            let results = BenchmarkLadder(rungs: rungs, repetitions: repetitions).run(ceiling: ceiling)
            print(json ? BenchmarkLadder.json(results, ceiling: ceiling)
                       : BenchmarkLadder.text(results, ceiling: ceiling))
            return
        }
        var report = Benchmark(repetitions: repetitions).run()
        report.startupMs = try startupMilliseconds()
        if !quick { (report.pipelineSeconds, report.pipelineStageSeconds) = pipeline() }
        report.peakRSSMegabytes = BenchmarkReport.peakResidentMegabytes()
        print(json ? report.json : BenchTable.text(report))
    }

    /// The ladder's rungs, or nil for the full benchmark.
    private func rungs() throws -> [BenchmarkLadder.Rung]? {
        if ladder { return BenchmarkLadder.standard }
        guard width != nil || layers != nil || heads != nil || batch != nil else { return nil }
        let rung = BenchmarkLadder.Rung(width: width ?? 48, layers: layers ?? 2, heads: heads ?? 4, batch: batch ?? 16)
        guard rung.width > 0, rung.layers > 0, rung.heads > 0, rung.batch > 1, rung.width % rung.heads == 0,
              rung.batch % 2 == 0 else {
            throw ValidationError("--width, --layers, --heads and --batch must be positive, the heads must divide "
                                  + "the width, and the batch must be even (two minibatches)")
        }
        return [rung]
    }

    /// Median wall time of `rlhf` from launch to a ready prompt and out again (`quit` on
    /// standard input): process start, loading the world, the session and the interpreter.
    private func startupMilliseconds() throws -> Double {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var times: [Double] = []
        for _ in 0..<max(repetitions, 3) {
            let process = Process()
            process.executableURL = executable
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            let start = ContinuousClock.now
            try process.run()
            input.fileHandleForWriting.write(Data("quit\n".utf8))
            try input.fileHandleForWriting.close()
            process.waitUntilExit()
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        }
        return times.sorted()[times.count / 2]
    }

    /// The whole default pipeline once: pre-training, SFT, labelling, the reward model,
    /// then 50 PPO iterations of the default batch. Returns its seconds in all and by stage.
    private func pipeline() -> (Double, [BenchmarkReport.StageTime]) {
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        let start = ContinuousClock.now
        var starts: [(stage: String, at: ContinuousClock.Instant)] = []
        // The built-in recipe labels its 800 pairs, so its build does not throw.
        let world = try! WorldBuilder.build(starting: { starts.append(($0.rawValue, ContinuousClock.now)) })
        starts.append(("ppo", ContinuousClock.now))
        var random = RandomGenerator(seed: 0)
        let policy = ActorCritic(initialisedFrom: world.sft, random: &random)
        let trainer = PPOTrainer(policy: policy, reference: world.sft, rewardModel: world.reward,
                                 annotator: world.annotator, tokenizer: world.tokenizer, config: PPOConfig())
        let prompts = WorldText.trainingPrompts.map { try! world.tokenizer.encode($0, source: "the built-in prompts") }
        let run = PPOTraining.run(trainer: trainer, iterations: 50, promptPool: prompts, random: &random)
        precondition(run.iterations.count == 50,
                     "the pipeline's PPO run stopped: \(run.failure.map { "\($0.error)" } ?? "")")
        let end = ContinuousClock.now
        let stages = starts.indices.map { index in
            BenchmarkReport.StageTime(stage: starts[index].stage,
                                      seconds: seconds((index + 1 < starts.count ? starts[index + 1].at : end)
                                                       - starts[index].at))
        }
        return (seconds(end - start), stages)
    }
}

/// The benchmark report as a table for people.
enum BenchTable {
    static func text(_ report: BenchmarkReport) -> String {
        let c = report.config
        func ms(_ value: Double) -> String { Format.fixed(value, 3) + " ms" }
        var table = Table([.init("measure", .left), .init("median", .left)])
        table.add(["start-up to a ready prompt", report.startupMs.map(ms) ?? "-"])
        table.add(["`step` command (with `back`)", ms(report.stepMs)])
        table.add(["`logits 10` command", ms(report.logitsMs)])
        table.add(["next-token logits + sample (engine)", ms(report.sampleStepMs)])
        table.add(["generated token (KV cache)", ms(report.generationTokenMs)])
        table.add(["PPO iteration", ms(report.ppoIterationMs)])
        table.add(["  generation", ms(report.ppoGenerationMs)])
        table.add(["  scoring (policy, critic, reference, reward model)", ms(report.ppoScoringMs)])
        table.add(["  update (every epoch and minibatch)", ms(report.ppoUpdateMs)])
        table.add(["  achieved", Format.fixed(report.gflops, 2) + " GFLOP/s ("
                   + Format.fixed(report.ppoIterationGflop, 3) + " GFLOP)"])
        table.add(["pre-training step (16 rows)", ms(report.pretrainingStepMs)])
        table.add(["forward", Format.fixed(report.forwardTokensPerSecond, 0) + " tokens/s"])
        table.add(["forward + backward", Format.fixed(report.trainTokensPerSecond, 0) + " tokens/s"])
        table.add(["whole pipeline (world build + 50 PPO iterations)",
                   report.pipelineSeconds.map { Format.fixed($0, 2) + " s" } ?? "skipped"])
        if !report.pipelineStageSeconds.isEmpty {
            table.add(["  " + report.pipelineStageSeconds.map(\.stage).joined(separator: " / "),
                       report.pipelineStageSeconds.map { Format.fixed($0.seconds, 2) }.joined(separator: " / ") + " s"])
        }
        table.add(["peak memory", Format.fixed(report.peakRSSMegabytes, 1) + " MB"])
        return """
            Model: GPT-2, vocab \(c.vocabSize), n_embd \(c.nEmbd), n_layer \(c.nLayer), n_head \(c.nHead), \
            n_positions \(c.nPositions); \(report.parameters) parameters. Kernels: \(MatrixKernel.selectionNote).
            PPO: batch \(c.batchSize) rollouts, prompt \(c.promptLength) + response \(c.responseLength) tokens, \
            \(c.epochs) epochs x \(c.minibatches) minibatches.
            \(table.render(indent: 0))
            First minibatch ratio exactly 1: \(report.ppoFirstRatioExact)
            """
    }
}
