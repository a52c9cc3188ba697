import RLHFEngine
import RLHFStages

/// `rlhf bench --ladder`: one PPO iteration (as `Benchmark` times it) on growing models and
/// batches, so that a reader sees how the cost grows with the work.
///
/// Each rung is a randomly initialised GPT-2 of the world's vocabulary and context (62 tokens,
/// 32 positions) with `width`, `layers` and `heads`, and a PPO batch of `batch` rollouts (8-token
/// prompts, 16 response tokens, 4 epochs x 2 minibatches). The rate is
/// `BenchmarkReport.ppoIterationFlop` over the median iteration time, and the bound that rung's FLOP
/// over the measured arithmetic ceiling (`ArithmeticCeiling`): bound = GFLOP / (2 x multiply-adds/s on
/// two threads), a time no iteration of that rung can beat under the engine's no-FMA contract.
public struct BenchmarkLadder: Sendable {
    public struct Rung: Sendable, Equatable {
        public var width: Int, layers: Int, heads: Int, batch: Int

        public init(width: Int, layers: Int, heads: Int, batch: Int) {
            (self.width, self.layers, self.heads, self.batch) = (width, layers, heads, batch)
        }
    }

    public struct Result: Sendable, Equatable {
        public var rung: Rung
        public var parameters: Int
        public var iterationMs: Double, generationMs: Double, scoringMs: Double, updateMs: Double
        /// `ppoIterationFlop` in units of 10^9, and that over the iteration time.
        public var gflop: Double, gflops: Double
        /// The ceiling's least time for those GFLOP (nil without a ceiling), and that over the iteration's.
        public var boundMs: Double?, boundShare: Double?

        /// A rung's figures from its timed phases (seconds) and FLOP count, bounded by `ceiling`.
        public init(rung: Rung, parameters: Int, times: (generation: Double, scoring: Double, update: Double,
                                                         total: Double),
                    flop: Double, ceiling: ArithmeticCeiling) {
            (self.rung, self.parameters) = (rung, parameters)
            (iterationMs, generationMs, scoringMs, updateMs) = (times.total * 1000, times.generation * 1000,
                                                                times.scoring * 1000, times.update * 1000)
            (gflop, gflops) = (flop / 1e9, flop / times.total / 1e9)
            boundMs = ceiling.boundSeconds(flop: flop).map { $0 * 1000 }
            boundShare = boundMs.map { $0 / iterationMs }
        }
    }

    /// d48 L2 (the world's size), d96 L4, d192 L6, each at batch 16 and 64; 4 heads throughout.
    public static let standard: [Rung] = [(48, 2), (96, 4), (192, 6)].flatMap { width, layers in
        [16, 64].map { Rung(width: width, layers: layers, heads: 4, batch: $0) }
    }

    public var rungs: [Rung]
    public var repetitions: Int

    public init(rungs: [Rung] = BenchmarkLadder.standard, repetitions: Int = 5) {
        (self.rungs, self.repetitions) = (rungs, repetitions)
    }

    /// Times every rung in turn; `ceiling` bounds each.
    public func run(ceiling: ArithmeticCeiling) -> [Result] {
        rungs.map { rung in
            let model = GPT2Config(vocabularySize: WorldVocabulary.tokens.count, embeddingWidth: rung.width,
                                   layerCount: rung.layers, headCount: rung.heads)
            var ppo = PPOConfig()
            ppo.batchSize = rung.batch
            let benchmark = Benchmark(model: model, ppo: ppo, repetitions: repetitions)
            let times = benchmark.ppoIterationTimes()
            let config = benchmark.configuration
            var random = RandomGenerator(seed: benchmark.seed)
            let parameters = GPT2(config: model, random: &random).parameterCount
            let flop = BenchmarkReport.ppoIterationFlop(config: config, parameters: parameters)
            return Result(rung: rung, parameters: parameters,
                          times: (times.generation, times.scoring, times.update, times.total), flop: flop,
                          ceiling: ceiling)
        }
    }

    /// The results as a table for people, under the ceiling they were bounded by.
    public static func text(_ results: [Result], ceiling: ArithmeticCeiling) -> String {
        var table = Table([.init("model", .left), .init("batch", .right), .init("parameters", .right),
                           .init("PPO iteration", .right), .init("generation / scoring / update", .right),
                           .init("GFLOP", .right), .init("GFLOP/s", .right), .init("bound", .right),
                           .init("bound / iteration", .right)])
        for result in results {
            let rung = result.rung
            table.add(["d\(rung.width) L\(rung.layers) h\(rung.heads)", "\(rung.batch)", "\(result.parameters)",
                       Format.fixed(result.iterationMs, 1) + " ms",
                       [result.generationMs, result.scoringMs, result.updateMs].map { Format.fixed($0, 1) }
                           .joined(separator: " / ") + " ms",
                       Format.fixed(result.gflop, 3), Format.fixed(result.gflops, 1),
                       result.boundMs.map { Format.fixed($0, 1) + " ms" } ?? "-",
                       result.boundShare.map { Format.fixed($0, 2) } ?? "-"])
        }
        return "Kernels: \(MatrixKernel.selectionNote). " +
            "PPO: prompt 8 + response 16 tokens, 4 epochs x 2 minibatches.\n" +
            "Arithmetic ceiling (separate multiply and add, no FMA; best of runs, in thread processor time):\n" +
            "  \(ceiling.note).\n" +
            "bound = GFLOP / two-thread ceiling: no iteration of the rung can take less under that contract.\n" +
            table.render(indent: 0)
    }

    /// The results as one JSON array, one object per rung (`bound_ms` and `ceiling_gflops` null without a
    /// ceiling).
    public static func json(_ results: [Result], ceiling: ArithmeticCeiling) -> String {
        let ceilingGflops = ceiling.twoThreads > 0 ? Format.fixed(ceiling.twoThreadGflops, 4) : "null"
        let rows = results.map { result in
            let rung = result.rung
            let fields = [
                "\"n_embd\": \(rung.width)", "\"n_layer\": \(rung.layers)", "\"n_head\": \(rung.heads)",
                "\"batch_size\": \(rung.batch)", "\"parameters\": \(result.parameters)",
                "\"ppo_iteration_ms\": \(Format.fixed(result.iterationMs, 4))",
                "\"ppo_phases_ms\": {\"generation\": \(Format.fixed(result.generationMs, 4)), "
                    + "\"scoring\": \(Format.fixed(result.scoringMs, 4)), "
                    + "\"update\": \(Format.fixed(result.updateMs, 4))}",
                "\"gflop\": \(Format.fixed(result.gflop, 4))", "\"gflops\": \(Format.fixed(result.gflops, 4))",
                "\"ceiling_gflops\": \(ceilingGflops)",
                "\"bound_ms\": \(result.boundMs.map { Format.fixed($0, 4) } ?? "null")",
            ]
            return "  {" + fields.joined(separator: ", ") + "}"
        }
        return "[\n" + rows.joined(separator: ",\n") + "\n]"
    }
}
