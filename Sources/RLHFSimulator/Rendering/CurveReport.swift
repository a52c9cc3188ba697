import RLHFStages

/// What `overoptimisation` prints: each run's points, the fits of the gold gain, and the chart.
enum CurveReport {
    static func name(_ series: OveroptimisationCurves.Series) -> String {
        series.beta.map { "ppo beta \(Format.short($0))" } ?? "best-of-n"
    }

    static func render(_ result: OveroptimisationCurves.Result, call: Invocation) {
        var table = Table([.init("run", .left), .init("at", .left), .init("kl"), .init("d = sqrt(kl)"),
                           .init("rm score"), .init("gold score")])
        for series in result.series {
            for (index, point) in series.points.enumerated() {
                table.add([index == 0 ? name(series) : "", series.beta == nil ? "n \(point.step)" : "it \(point.step)",
                           Format.fixed(point.kl, 4), Format.fixed(point.d), Format.signed(point.proxyScore),
                           Format.signed(point.goldScore)])
            }
        }
        call.console.line(table.render())
        call.console.line("Fits of the gold gain R(d) = gold - gold at the run's first point (least squares):")
        var fits = Table([.init("run", .left), .init("form", .left), .init("alpha"), .init("beta"), .init("d*", .left),
                          .init("R(d*)"), .init("d measured", .left)])
        for series in result.series {
            let form = series.beta == nil ? "d (alpha - beta d)" : "d (alpha - beta log d)"
            let top = series.points.map(\.d).max() ?? 0
            guard let fit = series.fit else {
                fits.add([name(series), form, "-", "-", "too few points", "", ""])
                continue
            }
            // A peak past 100 times the largest measured d says only that the fit does not turn in range.
            let farLimit = 100 * max(top, 0.01)
            let peak = fit.peak
            let peakCell = peak.map { $0 > farLimit ? "> \(Format.fixed(farLimit)) (far beyond)"
                                                    : Format.fixed($0) + ($0 > top ? " (beyond)" : "") }
            let valueCell = peak.map { $0 > farLimit ? "-" : Format.signed(fit.value(at: $0)) }
            fits.add([name(series), form, Format.signed(fit.alpha), Format.signed(fit.beta),
                      peakCell ?? "none: no peak", valueCell ?? "", "0 to \(Format.fixed(top))"])
        }
        call.console.line(fits.render())
        call.console.line(chart(result).render(unicode: call.console.usesColor))
    }

    /// Gold (with each run's fit, shifted back by its first point's gold) and proxy against d.
    static func chart(_ result: OveroptimisationCurves.Result) -> CurveChart {
        var gold: [CurveChart.Line] = []
        var proxy: [CurveChart.Line] = []
        let top = result.series.flatMap(\.points).map(\.d).max() ?? 1
        for (index, series) in result.series.enumerated() {
            let label = name(series)
            let golds = series.points.map { CurveChart.Point(x: $0.d, y: $0.goldScore) }
            let proxies = series.points.map { CurveChart.Point(x: $0.d, y: $0.proxyScore) }
            gold.append(.init(name: label, series: index, points: golds, fitted: false))
            proxy.append(.init(name: label, series: index, points: proxies, fitted: false))
            if let fit = series.fit, let base = series.points.first?.goldScore {
                let reach = series.points.map(\.d).max() ?? top
                let samples = (0...60).map { Double($0) / 60 * reach }
                gold.append(.init(name: label + " fit", series: index,
                                  points: samples.map { .init(x: $0, y: base + fit.value(at: $0)) }, fitted: true))
            }
        }
        let against = "against d = sqrt(KL to SFT)"
        return CurveChart(xLabel: "d = sqrt(KL)",
                          panels: [.init(title: "gold score (the annotator) \(against)", lines: gold),
                                   .init(title: "proxy score (the reward model) \(against)", lines: proxy)],
                          legend: result.series.map(name))
    }
}
