import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// The group trace carries everything needed to recompute the advantages and the loss.
@Suite("Group traces")
struct GroupTraceTests {
    static func object(_ value: JSONValue?) -> [String: JSONValue] {
        if case .object(let members)? = value { return members }
        Issue.record("expected an object, got \(String(describing: value))")
        return [:]
    }

    static func array(_ value: JSONValue?) -> [JSONValue] {
        if case .array(let elements)? = value { return elements }
        Issue.record("expected an array, got \(String(describing: value))")
        return []
    }

    static func number(_ value: JSONValue?) -> Double {
        switch value {
        case .number(let x)?: return x
        case .integer(let x)?: return Double(x)
        default: Issue.record("expected a number, got \(String(describing: value))"); return .nan
        }
    }

    @Test("from a GRPO trace alone: advantages from the rewards, each term and the loss, for every loss type",
          arguments: GRPOConfig.LossType.allCases)
    func grpoRecomputes(lossType: GRPOConfig.LossType) throws {
        var world = TinyWorld(seed: 11)
        let trainer = GroupTrainerTests.grpo(world) {
            $0.lossType = lossType
            $0.shared.numIterations = 2
            $0.shared.epsilonHigh = 0.28
        }
        let iteration = try trainer.iterate(prompts: Array(world.prompts.prefix(2)), random: &world.random)
        let text = GroupTraceExport.node(batch: iteration.batch, steps: iteration.steps, algorithm: trainer,
                                         tokenizer: world.tokenizer).rendered(inlineScalarArrays: true)
        let trace = Self.object(try JSONParser.parse(text))
        let config = Self.object(trace["config"])
        let (epsilon, epsilonHigh, beta) = (Self.number(config["epsilon"]), Self.number(config["epsilon_high"]),
                                            Self.number(config["beta"]))
        let completions = Self.array(trace["completions"]).map(Self.object)
        let rewards = completions.map { Self.number($0["reward"]) }
        let groupSize = Int(Self.number(config["num_generations"]))
        // A_i = (r_i - group mean) / (group std + 1e-4), Bessel std.
        for (index, completion) in completions.enumerated() {
            let group = Array(rewards[(index / groupSize * groupSize)..<(index / groupSize * groupSize + groupSize)])
            let mean = group.reduce(0, +) / Double(groupSize)
            let std = (group.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(groupSize - 1)).squareRoot()
            #expect(abs(Self.number(completion["advantage"]) - (rewards[index] - mean) / (std + 1e-4)) < 1e-12)
        }
        let old = completions.map { Self.array($0["old_per_token_logps"]).map { Self.number($0) } }
        let ref = completions.map { Self.array($0["ref_per_token_logps"]).map { Self.number($0) } }
        let totalTokens = old.reduce(0) { $0 + $1.count }
        for step in Self.array(trace["steps"]).map(Self.object) {
            let new = Self.array(step["per_token_logps"]).map { Self.array($0).map { Self.number($0) } }
            var loss = 0.0
            var flat = 0
            let units = Self.array(step["units"]).map(Self.object)
            for (i, completion) in completions.enumerated() {
                let advantage = Self.number(completion["advantage"])
                for t in new[i].indices {
                    let ratio = exp(new[i][t] - old[i][t])
                    let clipped = min(max(ratio, 1 - epsilon), 1 + epsilonHigh)
                    let d = ref[i][t] - new[i][t]
                    let term = -min(ratio * advantage, clipped * advantage) + beta * (exp(d) - d - 1) * ratio
                    let weight: Double = switch lossType {
                    case .grpo: 1 / Double(completions.count * new[i].count)
                    case .bnpo, .dapo: 1 / Double(totalTokens)
                    case .drGRPO: 1 / Double(completions.count * Int(Self.number(config["max_completion_length"])))
                    }
                    #expect(abs(Self.number(units[flat]["loss_term"]) - term) < 2e-5)
                    #expect(abs(Self.number(units[flat]["weight"]) - weight) < 1e-12)
                    loss += weight * term
                    flat += 1
                }
            }
            #expect(abs(Self.number(step["loss"]) - loss) < 2e-5, "\(lossType)")
        }
    }
}
