import Foundation
import RLHFEngine

/// DPO on a list of pairs as a JSON file (format `rlhf-dpo-trace`, version 1), with everything
/// needed to recompute each pair's loss: the settings under TRL's DPOConfig names, and per pair the
/// token ids, each scored token's log-prob under the policy and the reference, their sums (TRL's
/// `chosen_logps`, `rejected_logps`, `ref_chosen_logps`, `ref_rejected_logps`), the implicit rewards
/// (`chosen_rewards`, `rejected_rewards`), TRL's `logits` z and the pair's `loss`; then TRL's
/// metrics over all the pairs. The schema and formulas are in docs/dpo.md.
public enum DPOTraceExport {
    public static let format = "rlhf-dpo-trace"
    public static let version = 1

    /// The trace of `pairs` under `trainer`'s policy, reference and settings, with no graph.
    public static func json(trainer: DPOTrainer, pairs: [PreferencePair], tokenizer: Tokenizer) -> Data {
        let config = trainer.config
        let readouts = trainer.readouts(pairs)
        let completions = pairs.map(\.chosen) + pairs.map(\.rejected)
        let (eos, pad) = (tokenizer.eosID, tokenizer.padID)
        let policyTokens = CompletionLogProbs.perToken(completions, model: trainer.policy, eosID: eos)
        let referenceTokens = CompletionLogProbs.perToken(completions, model: trainer.reference, eosID: eos)
        let count = pairs.count
        let entries: [JSONText] = pairs.indices.map { index in
            let (pair, readout) = (pairs[index], readouts[index])
            let z = (readout.chosenLogp - readout.referenceChosenLogp)
                - (readout.rejectedLogp - readout.referenceRejectedLogp)
            return .object([
                ("prompt", .string(pair.promptText)), ("chosen", .string(pair.chosenText)),
                ("rejected", .string(pair.rejectedText)),
                ("prompt_ids", .integers(pair.chosen.prompt)),
                ("chosen_ids", .integers(pair.chosen.response + [eos])),
                ("rejected_ids", .integers(pair.rejected.response + [eos])),
                ("chosen_token_logps", .doubles(policyTokens[index])),
                ("rejected_token_logps", .doubles(policyTokens[count + index])),
                ("ref_chosen_token_logps", .doubles(referenceTokens[index])),
                ("ref_rejected_token_logps", .doubles(referenceTokens[count + index])),
                ("chosen_logps", .double(readout.chosenLogp)), ("rejected_logps", .double(readout.rejectedLogp)),
                ("ref_chosen_logps", .double(readout.referenceChosenLogp)),
                ("ref_rejected_logps", .double(readout.referenceRejectedLogp)),
                ("chosen_rewards", .double(readout.chosenReward)),
                ("rejected_rewards", .double(readout.rejectedReward)),
                ("logits", .double(z)), ("loss", .double(readout.loss)),
            ])
        }
        let settings: [(String, JSONText)] = DPOConfig.fields.map { ($0.name, $0.json(config)) } + [
            ("eos_token_id", .integer(eos)), ("pad_token_id", .integer(pad)),
        ]
        let metrics = trainer.evaluate(pairs, prefix: "").map { ($0.name, JSONText.double($0.value)) }
        let trace = JSONText.object([
            ("format", .string(format)), ("version", .integer(version)), ("config", .object(settings)),
            ("pairs", .array(entries)), ("metrics", .object(metrics)),
        ])
        return Data(trace.rendered(inlineScalarArrays: true).utf8)
    }

    /// Writes the trace to `path` whole or not at all.
    /// - Throws: `DataError` naming the file and why it cannot be written.
    public static func write(trainer: DPOTrainer, pairs: [PreferencePair], tokenizer: Tokenizer,
                             to path: String) throws {
        do {
            try AtomicFile.write(json(trainer: trainer, pairs: pairs, tokenizer: tokenizer), to: path)
        } catch let error as DataError {
            throw DataError(file: path, line: nil, message: "cannot write the DPO trace: \(error.message)")
        }
    }
}
