import RLHFEngine
import RLHFStages
import Testing

/// The DPO loss, its variants and TRL's DPO metrics.
@Suite("DPO loss")
struct DPOLossTests {
    static func tensor(_ values: [Double], graph: Bool = false) -> Tensor {
        Tensor(shape: [values.count], data: values.map(Float.init), requiresGrad: graph)
    }

    static func logps(graph: Bool = false) -> DPOLoss.LogProbs {
        DPOLoss.LogProbs(chosen: tensor(DPOSmall.chosenLogps, graph: graph),
                         rejected: tensor(DPOSmall.rejectedLogps, graph: graph),
                         referenceChosen: tensor(DPOSmall.referenceChosenLogps),
                         referenceRejected: tensor(DPOSmall.referenceRejectedLogps))
    }

    static func config(_ lossType: DPOConfig.LossType = .sigmoid, beta: Double = DPOSmall.beta,
                       labelSmoothing: Double = 0) -> DPOConfig {
        var config = DPOConfig()
        config.lossType = lossType
        config.beta = beta
        config.labelSmoothing = labelSmoothing
        return config
    }

    @Test("the sigmoid loss matches dpo-small.json, pair by pair and as a mean")
    func sigmoidLoss() {
        let perPair = DPOLoss.perPairLosses(Self.logps(), config: Self.config()).data.map(Double.init)
        #expect(close(perPair, DPOSmall.perPairLoss, 1e-6), "\(perPair)")
        #expect(close(Double(DPOLoss.loss(Self.logps(), config: Self.config()).item), DPOSmall.loss, 1e-6))
    }

    @Test("rewards, margins, accuracies and log-probs match dpo-small.json under TRL's names")
    func metrics() {
        let metrics = DPOLoss.metrics(Self.logps(), beta: DPOSmall.beta, prefix: "eval_")
        func value(_ name: String) -> Double { metrics.first { $0.name == name }!.value }
        #expect(metrics.map(\.name) == ["eval_rewards/chosen", "eval_rewards/rejected", "eval_rewards/accuracies",
                                        "eval_rewards/margins", "eval_logps/chosen", "eval_logps/rejected"])
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        #expect(close(value("eval_rewards/chosen"), mean(DPOSmall.chosenRewards), 1e-6))
        #expect(close(value("eval_rewards/rejected"), mean(DPOSmall.rejectedRewards), 1e-6))
        #expect(close(value("eval_rewards/margins"), DPOSmall.margins, 1e-6))
        #expect(close(value("eval_rewards/accuracies"), DPOSmall.accuracies, 1e-12))
        #expect(close(value("eval_logps/chosen"), mean(DPOSmall.chosenLogps), 1e-6))
        #expect(close(value("eval_logps/rejected"), mean(DPOSmall.rejectedLogps), 1e-6))
        let chosen = DPOLoss.implicitRewards(DPOSmall.chosenLogps, DPOSmall.referenceChosenLogps, beta: DPOSmall.beta)
        #expect(close(chosen, DPOSmall.chosenRewards, 1e-12))
    }

    @Test("by hand: hinge max(0, 1 - beta z) and ipo (z - 1/(2 beta))^2 on dpo-small's pairs")
    func hingeAndIPO() {
        // z = (chosen - rejected) - (ref chosen - ref rejected): 1.5 - 0.5 = 1, -1 + 0.7 = -0.3, 10 - 4 = 6
        let hinge = DPOLoss.perPairLosses(Self.logps(), config: Self.config(.hinge)).data.map(Double.init)
        #expect(close(hinge, [0.9, 1.03, 0.4], 1e-6), "\(hinge)")
        // 1 / (2 beta) = 5: (1 - 5)^2 = 16, (-0.3 - 5)^2 = 28.09, (6 - 5)^2 = 1
        let ipo = DPOLoss.perPairLosses(Self.logps(), config: Self.config(.ipo)).data.map(Double.init)
        #expect(close(ipo, [16, 28.09, 1], 1e-4), "\(ipo)")
        // beta z >= 1: the hinge is satisfied and costs nothing (beta 1, z = 6)
        #expect(DPOLoss.perPairLosses(Self.logps(), config: Self.config(.hinge, beta: 1)).data[2] == 0)
    }

    @Test("by hand: a tie costs log 2 whatever the smoothing; cDPO mixes in the flipped label")
    func labelSmoothing() {
        let log2 = 0.6931471805599453
        let tie = DPOLoss.LogProbs(chosen: Self.tensor([-3]), rejected: Self.tensor([-4]),
                                   referenceChosen: Self.tensor([-3]), referenceRejected: Self.tensor([-4]))
        for epsilon in [0.0, 0.1, 0.3] {
            let loss = DPOLoss.loss(tie, config: Self.config(labelSmoothing: epsilon)).item
            #expect(close(Double(loss), log2, 1e-6))
        }
        // z = 1, beta 1, eps 0.25: 0.75 log(1 + e^-1) + 0.25 log(1 + e) = 0.75 * 0.3132617 + 0.25 * 1.3132617
        let ahead = DPOLoss.LogProbs(chosen: Self.tensor([-2]), rejected: Self.tensor([-4]),
                                     referenceChosen: Self.tensor([-3]), referenceRejected: Self.tensor([-4]))
        let loss = DPOLoss.loss(ahead, config: Self.config(beta: 1, labelSmoothing: 0.25)).item
        #expect(close(Double(loss), 0.75 * 0.31326168751822286 + 0.25 * 1.3132616875182228, 1e-6))
    }

    @Test("the gradient: -beta sigmoid(-beta z) / B on each chosen log-prob, the opposite on each rejected one")
    func sigmoidGradient() {
        let logps = Self.logps(graph: true)
        DPOLoss.loss(logps, config: Self.config()).backward()
        let z = [1.0, -0.3, 6.0]
        let expected = z.map { -DPOSmall.beta / (1 + PortableMath.exp(DPOSmall.beta * $0)) / 3 }
        #expect(close(logps.chosen.grad!.map(Double.init), expected, 1e-6))
        #expect(close(logps.rejected.grad!.map(Double.init), expected.map { -$0 }, 1e-6))
    }

    @Test("every loss type's gradient agrees with central finite differences",
          arguments: [(DPOConfig.LossType.sigmoid, 0.0), (.sigmoid, 0.2), (.hinge, 0.0), (.ipo, 0.0)])
    func finiteDifferences(_ lossType: DPOConfig.LossType, _ labelSmoothing: Double) {
        let config = Self.config(lossType, labelSmoothing: labelSmoothing)
        let logps = Self.logps(graph: true)
        DPOLoss.loss(logps, config: config).backward()
        let analytic = logps.chosen.grad!.map(Double.init) + logps.rejected.grad!.map(Double.init)
        let values = DPOSmall.chosenLogps + DPOSmall.rejectedLogps
        let step = 1e-2
        let numeric = values.indices.map { index -> Double in
            func loss(_ shift: Double) -> Double {
                var shifted = values
                shifted[index] += shift
                let perturbed = DPOLoss.LogProbs(
                    chosen: Self.tensor(Array(shifted[0..<3])), rejected: Self.tensor(Array(shifted[3..<6])),
                    referenceChosen: Self.tensor(DPOSmall.referenceChosenLogps),
                    referenceRejected: Self.tensor(DPOSmall.referenceRejectedLogps))
                return Double(DPOLoss.loss(perturbed, config: config).item)
            }
            return (loss(step) - loss(-step)) / (2 * step)
        }
        // No pair sits on the hinge's kink (beta z = 1), so the check is smooth everywhere.
        let agree = zip(analytic, numeric).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-3 * abs($1) }
        #expect(agree, "analytic \(analytic), numeric \(numeric)")
    }
}
