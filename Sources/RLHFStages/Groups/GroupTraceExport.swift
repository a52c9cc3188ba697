import Foundation
import RLHFEngine

/// A group batch and its optimiser steps as JSON, under TRL's names, with everything needed to
/// recompute the advantages and the loss (docs/group-trace.md gives the schema and formulas).
public enum GroupTraceExport {
    /// The trace as a JSON value: keys in a fixed order, so the same batch gives the same bytes.
    public static func node(batch: GroupBatch, steps: [GroupStepRecord], algorithm: GroupAlgorithm,
                            tokenizer: Tokenizer) -> JSONText {
        let config = JSONText.object(algorithm.namedSettings.map { name, value in
            let node: JSONText = value == "none" ? .null
                : Int(value).map(JSONText.integer) ?? Double(value).map(JSONText.double)
                ?? Bool(value).map(JSONText.bool) ?? .string(value)
            return (name, node)
        })
        let groups = JSONText.array(batch.groups.map { group in
            .object([("mean_grouped_rewards", .double(group.mean)), ("std_grouped_rewards", .double(group.std))])
        })
        let completions = JSONText.array(batch.rollouts.indices.map { index in
            let rollout = batch.rollouts[index]
            let part = batch.breakdowns[index]
            return .object([
                ("group", .integer(batch.group(of: index))),
                ("prompt", .string(tokenizer.decode(rollout.promptTokens))),
                ("completion", .string(tokenizer.decode(rollout.responseText))),
                ("prompt_ids", .integers(rollout.promptTokens)),
                ("completion_ids", .integers(rollout.responseTokens)),
                ("ended_with_eos", .bool(rollout.endedWithEOS)),
                ("reward", .double(part.score)),
                ("kl_penalty", .double(part.klPenalty)),
                ("baseline", .double(part.baseline)),
                ("scale", .double(part.scale)),
                ("advantage", .double(part.advantage)),
                ("old_per_token_logps", .doubles(rollout.logprobs)),
                ("ref_per_token_logps", .doubles(rollout.refLogprobs)),
                ("gold_score", rollout.goldScore.map(JSONText.double) ?? .null),
            ])
        })
        let stepNodes = JSONText.array(steps.map { step in
            .object([
                ("iteration", .integer(step.index)),
                ("per_token_logps", .array(step.newLogprobs.map(JSONText.doubles))),
                ("units", .array(step.units.map { unit in
                    .object([
                        ("completion", .integer(unit.completion)),
                        ("token", unit.token.map(JSONText.integer) ?? .null),
                        ("coef_1", .double(unit.ratio)),
                        ("clip", .string(unit.clip.rawValue)),
                        ("per_token_kl", unit.kl.map(JSONText.double) ?? .null),
                        ("loss_term", .double(unit.term)),
                        ("weight", .double(unit.weight)),
                    ])
                })),
                ("loss", .double(step.loss)),
                ("grad_norm", .double(step.gradNorm)),
                ("metrics", .object(step.metrics.map { ($0.name, JSONText.double($0.value)) })),
            ])
        })
        return .object([
            ("algorithm", .string(algorithm.name)),
            ("config", config),
            ("groups", groups),
            ("completions", completions),
            ("steps", stepNodes),
        ])
    }

    /// Writes the trace to `path` through a temporary file renamed into place.
    /// - Throws: `FileError` naming `path` when it cannot be written.
    public static func write(batch: GroupBatch, steps: [GroupStepRecord], algorithm: GroupAlgorithm,
                             tokenizer: Tokenizer, to path: String) throws {
        let text = node(batch: batch, steps: steps, algorithm: algorithm, tokenizer: tokenizer)
            .rendered(inlineScalarArrays: true)
        do {
            try SafeFile.write(Data(text.utf8), to: path)
        } catch let error as FileError {
            throw FileError(path: path, reason: "cannot write the trace: \(error.reason)")
        }
    }
}
