import Foundation
import RLHFEngine
import RLHFStages

/// Over-optimisation at the prompt: `bestof N` and `overoptimisation`, Gao, Schulman and Hilton's
/// (2022) curves of gold and proxy score against sqrt(KL). The maths lives in RLHFStages
/// (`BestOfN`, `OveroptimisationFit`, `OveroptimisationCurves`); these commands render it.
enum CurveCommands {
    static let all: [Command] = [bestOf, overoptimisation]

    static let bestOf = Command(
        "bestof", usage: "bestof N",
        summary: "best-of-N on the held-out prompts: proxy, gold, measured KL and log N - (N-1)/N",
        details: """
            Per held-out prompt the policy draws a pool of max(4N, 256) responses and an independent sample of as
            many; the reward model keeps the best of N. Proxy and gold are expectations over every N-subset of
            the pool (the order-statistic weights C(i-1, N-1) / C(m, N)); the KL of best-of-N to the policy is
            the mean of log((F^N - G^N) / (F - G)) at the kept responses, F and G the shares of the independent
            sample at or below and below its reward (log N + (N-1) log F for continuous rewards), beside the
            analytic bound log N - (N-1)/N. Draws come from a stream of their own (from the seed), not the
            session's; nothing is trained.
            """
    ) { call in
        let session = call.session
        let n = try call.integer(0, name: "N", range: 1...256)
        let size = max(4 * n, 256)
        var random = RandomGenerator(seed: session.seed ^ 0xb0f)
        let prompts = session.data.heldOutPrompts.map(\.tokens)
        let results = BestOfN.run(collector: session.trainer.collector, prompts: prompts, ns: n == 1 ? [1] : [1, n],
                                  poolSize: size, referenceSize: size, random: &random)
        call.console.line("Best-of-\(n) on the \(prompts.count) held-out prompts, from the policy (a pool of \(size) "
            + "and an independent \(size) per prompt):")
        var table = Table([.init("n"), .init("rm score"), .init("gold score"), .init("kl measured"),
                           .init("log n - (n-1)/n")])
        for result in results {
            table.add(["\(result.n)", Format.signed(result.proxyScore), Format.signed(result.goldScore),
                       Format.fixed(result.kl, 4), Format.fixed(result.klBound, 4)])
        }
        call.console.line(table.render())
        if results.contains(where: { $0.kl < 0 }) {
            // Below 0 only where F < 1: with F = 1 the sum F^k G^(n-1-k) holds the term 1 and its log is >= 0.
            call.console.line(Format.wrapped("KL is never below 0: a value below 0 here is the estimate's sampling "
                + "error. Some of the pool's best responses scored below some of the independent sample's (F < 1 "
                + "in log((F^n - G^n) / (F - G))), which a nearly deterministic policy makes likely."))
        }
    }

    static let overoptimisation = Command(
        "overoptimisation", aliases: ["gao"], usage: "overoptimisation [N] [BETAS] [FILE.svg]",
        summary: "Gao et al.'s curves: gold and proxy vs sqrt(KL) for best-of-n and PPO at several betas, fitted",
        details: """
            Best-of-n for n = 1, 2, 4, ..., 64 (pools of 256 per held-out prompt, as `bestof`), then for each kl_coef
            in BETAS (comma-separated, default 0,0.1) a PPO run of N iterations (default 40) from the SFT model with
            the session's other settings, evaluated at iteration 0 and every N/8 on 16 samples per held-out prompt
            (`evaluate`'s draws). Each run is a point list (d = sqrt(KL to SFT), rm score, gold score); the gold
            gain over the first point is fitted by least squares to best-of-n R(d) = d (alpha - beta d) or RL
            R(d) = d (alpha - beta log d), with the peak d* = alpha / (2 beta) or exp(alpha / beta - 1). Then gold
            and proxy against d as text (ASCII unless on a colour terminal) and, given FILE.svg, as SVG.
            The runs train copies: the session's models, settings and random stream are left as they were.
            Ctrl-C stops after the current Adam step and shows what was measured.
            """
    ) { call in
        let session = call.session
        var words = call.arguments
        let svg = words.firstIndex { $0.lowercased().hasSuffix(".svg") }.map { words.remove(at: $0) }
        var plan = OveroptimisationCurves.Plan()
        if let first = words.first {
            plan.iterations = try Invocation.integer(first, name: "N", unit: "iterations", range: 1...2000)
        }
        plan.evaluationInterval = max(1, plan.iterations / 8)
        if words.count > 1 { plan.betas = try betas(words[1]) }
        if words.count > 2 { throw call.usageError() }
        let start = "Best-of-n for n = \(plan.ns.map(String.init).joined(separator: ", ")), then PPO for "
            + "\(plan.iterations) iterations at kl_coef \(plan.betas.map(Format.short).joined(separator: ", ")), "
            + "all from the SFT model (learning_rate \(Format.short(session.config.learningRate))):"
        call.console.line(Format.wrapped(start, width: 100))
        let result = OveroptimisationCurves.run(
            sft: session.sft, rewardModel: session.reward, annotator: session.annotator, tokenizer: session.tokenizer,
            config: session.config, trainingPrompts: session.data.trainingPrompts.map(\.tokens),
            heldOutPrompts: session.data.heldOutPrompts.map(\.tokens), plan: plan, seed: session.seed
        ) { progress in
            let bar = Format.padRight(Bars.bar(progress.fractionDone, width: 20), 20)
            call.console.showProgress("overoptimisation [\(bar)] \(progress.phase)")
            return call.console.interruptRequested() ? .stop : .proceed
        }
        if result.stoppedEarly { call.console.line("Stopped: what was measured so far is below.") }
        CurveReport.render(result, call: call)
        if let svg {
            do {
                try SafeFile.write(Data(CurveSVG.document(CurveReport.chart(result)).utf8), to: svg)
            } catch let error as FileError {
                throw CommandError("overoptimisation: \(error.description)")
            }
            call.console.line("Wrote \(svg): the same two panels as SVG.")
        }
        call.console.line("The session's policy, settings and random stream are as they were before the command.")
    }

    /// BETAS: comma-separated kl_coef values from 0 to 100, at most 6.
    static func betas(_ text: String) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let values = parts.compactMap { Double($0) }.filter { (0...100).contains($0) }
        guard values.count == parts.count, (1...6).contains(values.count) else {
            throw CommandError("BETAS must be 1 to 6 comma-separated kl_coef values from 0 to 100 (e.g. 0,0.1), "
                + "not \(Format.quoted(text))")
        }
        return values
    }
}
