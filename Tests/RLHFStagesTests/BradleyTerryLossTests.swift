import RLHFEngine
import RLHFStages
import Testing

/// The reward model's pairwise loss and TRL's reward metrics.
@Suite("Bradley-Terry loss")
struct BradleyTerryLossTests {
    static var chosen: Tensor { Tensor(shape: [3], data: RewardLossVector.chosen.map(Float.init)) }
    static var rejected: Tensor { Tensor(shape: [3], data: RewardLossVector.rejected.map(Float.init)) }

    @Test("the plain loss matches reward-loss.json")
    func plainLoss() {
        let loss = BradleyTerryLoss.loss(chosen: Self.chosen, rejected: Self.rejected)
        #expect(close(Double(loss.item), RewardLossVector.loss, 1e-6))
    }

    @Test("the loss with a margin matches reward-loss.json")
    func marginLoss() {
        let loss = BradleyTerryLoss.loss(chosen: Self.chosen, rejected: Self.rejected,
                                         margins: RewardLossVector.margin.map(Float.init))
        #expect(close(Double(loss.item), RewardLossVector.lossWithMargin, 1e-6))
    }

    @Test("the loss with centring matches reward-loss.json")
    func centredLoss() {
        let loss = BradleyTerryLoss.loss(chosen: Self.chosen, rejected: Self.rejected,
                                         centerCoefficient: Float(RewardLossVector.centerRewardsCoefficient))
        #expect(close(Double(loss.item), RewardLossVector.lossWithCentering, 1e-6))
    }

    @Test("accuracy and the other metrics on reward-loss.json's rewards")
    func metrics() {
        let metrics = BradleyTerryLoss.metrics(chosen: RewardLossVector.chosen.map(Float.init),
                                               rejected: RewardLossVector.rejected.map(Float.init), prefix: "eval_")
        func value(_ name: String) -> Double? { metrics.first { $0.name == name }?.value }
        #expect(metrics.map(\.name) == ["eval_accuracy", "eval_margin", "eval_mean_reward",
                                        "eval_min_reward", "eval_max_reward"])
        #expect(close(value("eval_accuracy") ?? .nan, RewardLossVector.accuracy, 1e-12))
        // margin: ((1.2 - 0.4) + (-0.3 - 0.1) + (0.8 - 0.9)) / 3 = 0.3 / 3 = 0.1
        #expect(close(value("eval_margin") ?? .nan, 0.1, 1e-6))
        // all six rewards: 3.1 / 6
        #expect(close(value("eval_mean_reward") ?? .nan, 3.1 / 6, 1e-6))
        #expect(close(value("eval_min_reward") ?? .nan, -0.3, 1e-6))
        #expect(close(value("eval_max_reward") ?? .nan, 1.2, 1e-6))
    }

    @Test("by hand: a tie costs log 2, a margin shifts the gap, centring adds coef * (r_c + r_r)^2")
    func byHand() {
        let zero = Tensor(shape: [1], data: [0])
        let one = Tensor(shape: [1], data: [1])
        let log2 = 0.6931471805599453
        // -log sigmoid(0) = log 2
        #expect(close(Double(BradleyTerryLoss.loss(chosen: zero, rejected: zero).item), log2, 1e-6))
        // gap 1 minus margin 1 = 0 again
        #expect(close(Double(BradleyTerryLoss.loss(chosen: one, rejected: zero, margins: [1]).item), log2, 1e-6))
        // gap 1: -log sigmoid(1) = log(1 + e^-1) = 0.3132617
        #expect(close(Double(BradleyTerryLoss.loss(chosen: one, rejected: zero).item), 0.31326168751822286, 1e-6))
        // centring: tie at 1 and 1, coefficient 0.5: log 2 + 0.5 * (1 + 1)^2 = log 2 + 2
        #expect(close(Double(BradleyTerryLoss.loss(chosen: one, rejected: one, centerCoefficient: 0.5).item),
                      log2 + 2, 1e-6))
        // a tie is not counted as correct
        let metrics = BradleyTerryLoss.metrics(chosen: [0, 2], rejected: [0, 1])
        #expect(metrics.first?.name == "accuracy" && metrics.first?.value == 0.5)
    }
}
