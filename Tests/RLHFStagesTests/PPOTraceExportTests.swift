import Foundation
import RLHFEngine
import RLHFStages
import Testing

/// The PPO trace file: its JSON types, exact round trips and clear errors.
@Suite("PPO trace export")
struct PPOTraceExportTests {
    /// ppo-small.json as a trace: three rollouts and its one minibatch.
    static func referenceTrace() -> PPOTrace {
        var config = PPOConfig()
        config.klCoef = PPOSmall.klCoef
        config.gamma = PPOSmall.gamma
        config.lam = PPOSmall.lam
        config.cliprange = PPOSmall.cliprange
        config.cliprangeValue = PPOSmall.cliprangeValue
        config.vfCoef = PPOSmall.vfCoef
        config.missingEOSPenalty = PPOSmall.missingEOSPenalty
        config.batchSize = 3
        let rollouts = PPOSmall.rollouts.enumerated().map { index, r in
            rolloutRecord(
                promptTokens: [5, 6, 7], responseTokens: Array(repeating: 11 + index, count: r.logprobs.count - 1) + [r.endedWithEOS ? 1 : 13],
                endedWithEOS: r.endedWithEOS, logprobs: r.logprobs, refLogprobs: r.refLogprobs, values: r.values,
                rmScore: r.rmScore, score: r.score, goldScore: index == 1 ? nil : Double(index) - 0.5,
                kl: r.klK1, nonScoreRewards: r.klK1.map { -PPOSmall.klCoef * $0 }, rewards: r.rewards,
                deltas: r.deltas, rawAdvantages: r.rawAdvantages, advantages: r.advantages, returns: r.returns)
        }
        func split(_ flat: [Double]) -> [[Double]] { [Array(flat[0..<4]), Array(flat[4...])] }
        var update = MinibatchRecord.empty
        update.rolloutIndices = PPOSmall.Update.rolloutIndices
        update.newLogprobs = PPOSmall.Update.newLogprobs
        update.newValues = PPOSmall.Update.newValues
        update.ratio = split(PPOSmall.Update.ratio)
        update.pgLossesUnclipped = split(PPOSmall.Update.pgLossesUnclipped)
        update.pgLossesClipped = split(PPOSmall.Update.pgLossesClipped)
        update.vfLossesUnclipped = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8, 0.9]]
        update.vfLossesClipped = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8, 0.9]]
        update.entropy = [[3.1, 3.2, 3.3, 3.4], [3.5, 3.6, 3.7, 3.8, 3.9]]
        update.pgLoss = PPOSmall.Update.pgLoss
        update.vfLoss = PPOSmall.Update.vfLoss
        update.loss = PPOSmall.Update.loss
        update.clipfrac = PPOSmall.Update.clipfrac
        update.vfClipfrac = PPOSmall.Update.vfClipfrac
        update.approxkl = PPOSmall.Update.approxkl
        (update.entropyMean, update.ratioMean, update.gradNorm) = (3.5, 1.1, 0.75)
        return PPOTrace(config: config, eosTokenID: 1, padTokenID: 0, klCoefUsed: PPOSmall.klCoef,
                        rollouts: rollouts, updates: [update], metrics: nil)
    }

    /// The top-level JSON object of `data`.
    func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("the KL, shaped rewards, GAE and whitening of the whole batch match ppo-small.json")
    func prepareMatchesReference() throws {
        let trace = Self.referenceTrace()
        let batch = try PPOTrainer.prepare(trace.rolloutBatch().rollouts, config: trace.config, klCoef: PPOSmall.klCoef)
        for (rollout, expected) in zip(batch.rollouts, PPOSmall.rollouts) {
            #expect(close(rollout.kl, expected.klK1, 1e-12))
            #expect(close(rollout.rewards, expected.rewards, 1e-12))
            #expect(close(rollout.deltas, expected.deltas, 1e-12))
            #expect(close(rollout.rawAdvantages, expected.rawAdvantages, 1e-12))
            #expect(close(rollout.returns, expected.returns, 1e-12))
            #expect(close(rollout.advantages, expected.advantages, 1e-9))
        }
    }

    @Test("config: every PPOConfig setting under its TRL name, with real JSON types")
    func configTypes() throws {
        var trace = Self.referenceTrace()
        trace.config.adaptiveKLTarget = nil
        trace.config.missingEOSPenalty = 1
        trace.klCoefUsed = 0.0625
        let config = try #require(try object(PPOTraceExport.json(trace))["config"] as? [String: Any])
        // Every name PPOConfig.fields declares, plus the token ids and the beta used.
        let names = Set(PPOConfig.fields.map(\.name))
        #expect(Set(config.keys) == names.union(["eos_token_id", "pad_token_id", "kl_coef_used"]))
        #expect(config["adaptive_kl_target"] is NSNull)
        #expect(config["whiten_rewards"] as? Bool == false)
        #expect(config["kl_estimator"] as? String == "k1")
        #expect(config["missing_eos_mode"] as? String == "subtract")
        #expect((config["kl_coef"] as? NSNumber)?.doubleValue == 0.05)
        #expect((config["kl_coef_used"] as? NSNumber)?.doubleValue == 0.0625)
        #expect((config["num_ppo_epochs"] as? NSNumber)?.intValue == 4)
        #expect((config["adam_epsilon"] as? NSNumber)?.doubleValue == 1e-8)
        #expect((config["eos_token_id"] as? NSNumber)?.intValue == 1)
        // The text itself: booleans and null, not strings.
        let text = String(decoding: PPOTraceExport.json(trace), as: UTF8.self)
        #expect(text.contains(#""whiten_rewards": false"#))
        #expect(text.contains(#""adaptive_kl_target": null"#))
        #expect(text.contains(#""num_ppo_epochs": 4,"#))
        #expect(text.contains(#""adam_epsilon": 1e-08,"#))
    }

    @Test("config values are PPOConfig.fields' JSON, and read back into the same config")
    func configAgreesWithFields() throws {
        var trace = Self.referenceTrace()
        trace.config.adaptiveKLTarget = 6
        trace.config.whitenRewards = true
        trace.config.klEstimator = .k3
        trace.config.scorePosition = .afterEOS
        let text = String(decoding: PPOTraceExport.json(trace), as: UTF8.self)
        for field in PPOConfig.fields {
            let json = field.json(trace.config).rendered(compact: true)
            #expect(text.contains("\"\(field.name)\": \(json)"), "\(field.name) = \(json)")
        }
        #expect(try PPOTraceExport.decode(Data(text.utf8), file: "t.json").config == trace.config)
    }

    @Test("every Double comes back bit for bit, including awkward ones")
    func exactNumbers() throws {
        var trace = Self.referenceTrace()
        let awkward: [Double] = [0.1 + 0.2, 1e-300, .leastNonzeroMagnitude, -0.0, Double(Float(0.1)), 1e16, 123456789.123456789,
                                 .pi, -.ulpOfOne, Double.greatestFiniteMagnitude, 2.0, -3]
        trace.rollouts[2].logprobs = awkward.prefix(5).map { $0 }
        trace.rollouts[2].values = Array(awkward[5..<10])
        trace.rollouts[2].returns = Array(awkward[7..<12])
        trace.updates[0].gradNorm = 1.0000000000000002
        trace.metrics = ["objective/kl": 0.30000000000000004, "gold/score": -2.5e-7]
        trace.rollouts[0].promptText = "quote \" backslash \\ newline \n tab \t bell \u{7} é"
        let read = try PPOTraceExport.decode(PPOTraceExport.json(trace), file: "awkward.json")
        #expect(read == trace)
        #expect(read.rollouts[2].logprobs[3].sign == .minus)
        #expect(zip(read.rollouts[2].values, trace.rollouts[2].values).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    @Test("NaN and infinities are written as strings and read back")
    func nonFinite() throws {
        var trace = Self.referenceTrace()
        trace.updates[0].gradNorm = .infinity
        trace.updates[0].loss = -.infinity
        trace.updates[0].pgLoss = .nan
        let data = PPOTraceExport.json(trace)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""grad_norm": "Infinity""#) && text.contains(#""loss": "-Infinity""#)
                && text.contains(#""pg_loss": "NaN""#))
        let read = try PPOTraceExport.decode(data, file: "nan.json")
        #expect(read.updates[0].gradNorm == .infinity && read.updates[0].loss == -.infinity)
        #expect(read.updates[0].pgLoss.isNaN)
    }

    @Test("the output is deterministic and keys come in the documented order")
    func fixedOrder() throws {
        let trace = Self.referenceTrace()
        let first = PPOTraceExport.json(trace)
        #expect(first == PPOTraceExport.json(trace))
        let text = String(decoding: first, as: UTF8.self)
        let order = ["\"format\"", "\"version\"", "\"config\"", "\"rollouts\"", "\"prompt_tokens\"", "\"response_tokens\"",
                     "\"ended_with_eos\"", "\"logprobs\"", "\"ref_logprobs\"", "\"values\"", "\"rm_score\"", "\"score\"",
                     "\"gold_score\"", "\"kl\"", "\"non_score_rewards\"", "\"rewards\"", "\"deltas\"", "\"raw_advantages\"",
                     "\"advantages\"", "\"returns\"", "\"updates\"", "\"epoch\"", "\"minibatch\"", "\"rollout_indices\"",
                     "\"new_logprobs\"", "\"new_values\"", "\"ratio\"", "\"pg_losses_unclipped\"", "\"pg_losses_clipped\"",
                     "\"vf_losses_unclipped\"", "\"vf_losses_clipped\"", "\"entropy\"", "\"pg_loss\"", "\"vf_loss\"",
                     "\"loss\"", "\"clipfrac\"", "\"vf_clipfrac\"", "\"approxkl\"", "\"entropy_mean\"", "\"ratio_mean\"",
                     "\"grad_norm\""]
        var position = text.startIndex
        for key in order {
            let found = try #require(text.range(of: key + ":", range: position..<text.endIndex), "\(key) out of order")
            position = found.upperBound
        }
        #expect(text.hasPrefix("{\n  \"format\": \"rlhf-ppo-trace\",\n  \"version\": 1,\n"))
        #expect(text.contains(#""logprobs": [-1.2, -0.35, -2.1, -0.05],"#))
        // gold_score only where the rollout has one.
        let rollouts = try #require(try object(first)["rollouts"] as? [[String: Any]])
        #expect(rollouts.map { $0["gold_score"] != nil } == [true, false, true])
        #expect(try object(first)["metrics"] == nil)
    }

    @Test("writing replaces the file whole and leaves no temporary file behind")
    func atomicWrite() throws {
        let folder = TemporaryFolder()
        let path = folder.pathFor("trace.json")
        var trace = Self.referenceTrace()
        try PPOTraceExport.write(trace, to: path)
        trace.metrics = ["objective/kl": 1]
        try PPOTraceExport.write(trace, to: path)
        #expect(try PPOTraceExport.read(path: path) == trace)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["trace.json"])
        let nowhere = folder.pathFor("no/such/folder/trace.json")
        let error = try #require(throws: FileError.self) { try PPOTraceExport.write(trace, to: nowhere) }
        #expect(error.path == nowhere && error.reason.hasPrefix("cannot write the trace"))
    }

    // MARK: Bad files

    func readError(_ text: String) throws -> FileError {
        let folder = TemporaryFolder()
        let path = folder.file("bad.json", text)
        let error = try #require(throws: FileError.self) { try PPOTraceExport.read(path: path) }
        // The file, or FILE:LINE for a value at fault.
        let line = error.path.hasPrefix(path + ":") ? error.path.dropFirst(path.count + 1) : ""
        #expect(error.path == path || (!line.isEmpty && line.allSatisfy(\.isNumber)), "\(error.path)")
        #expect(error.description.hasPrefix(error.path + ": "))
        return error
    }

    /// The 1-based line of `text` on which `part` starts.
    func line(of part: String, in text: String) throws -> Int {
        let range = try #require(text.range(of: part), "\(part) not in the text")
        return text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
    }

    @Test("an integer field takes a number that is exactly one (1.0, as Python writes); 1.5 is FILE:LINE and the field")
    func integralNumbers() throws {
        let trace = Self.referenceTrace()
        let eos = "\"eos_token_id\": \(trace.eosTokenID)"
        let token = "\"prompt_tokens\": [\(trace.rollouts[0].promptTokens[0])"
        var whole = try edited(eos, eos + ".0")
        whole = whole.replacingOccurrences(of: token, with: token + ".0")
        whole = whole.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": 1e0,")
        #expect(try PPOTraceExport.decode(Data(whole.utf8), file: "whole.json") == trace)

        let text = String(decoding: PPOTraceExport.json(trace), as: UTF8.self)
        let half = try readError(try edited(eos, "\"eos_token_id\": 1.5"))
        #expect(half.path.hasSuffix("bad.json:\(try line(of: eos, in: text))"))
        #expect(half.reason == "config.eos_token_id: expected an integer, found 1.5")
        let item = try readError(try edited(token, token + ".25"))
        #expect(item.path.hasSuffix("bad.json:\(try line(of: token, in: text))"))
        #expect(item.reason == "rollouts[0].prompt_tokens[0]: expected an integer, "
                + "found \(Double(trace.rollouts[0].promptTokens[0]) + 0.25)")
        let missing = try readError(try edited(eos + ",", ""))
        #expect(missing.reason == "missing key \"eos_token_id\" in config")
        #expect(missing.path.hasSuffix("bad.json:\(try line(of: "\"config\": {", in: text))"))
    }

    /// The reference trace's JSON with `old` replaced by `new` (once).
    func edited(_ old: String, _ new: String) throws -> String {
        let text = String(decoding: PPOTraceExport.json(Self.referenceTrace()), as: UTF8.self)
        let range = try #require(text.range(of: old), "\(old) not in the trace")
        return text.replacingCharacters(in: range, with: new)
    }

    @Test("a missing file")
    func missingFile() {
        let path = TemporaryFolder().pathFor("trace.json")
        #expect(throws: FileError(path: path, reason: "no such file")) { try PPOTraceExport.read(path: path) }
    }

    @Test("an empty file")
    func emptyFile() throws {
        #expect(try readError("").reason == "the file is empty")
        #expect(try readError(" \n").reason == "the file is empty")
    }

    @Test("text that is not JSON")
    func notJSON() throws {
        #expect(try readError("{\"format\": ").reason.hasPrefix("not valid JSON"))
        #expect(try readError("rollouts: []").reason.hasPrefix("not valid JSON"))
        // Where it goes wrong: the second comma, line 2, column 13.
        #expect(try readError("{\"a\": 1,\n \"b\": [1, 2,, 3]}").reason.contains("line 2, column 13"))
    }

    @Test("a key named twice in one object is not valid JSON, with its line and column")
    func repeatedKey() throws {
        let text = try edited("\"gamma\": 1.0,", "\"gamma\": 1.0, \"gamma\": 0.5,")
        let error = try readError(text)
        let line = try line(of: "\"gamma\"", in: text)
        #expect(error.path.hasSuffix("bad.json"))
        #expect(error.reason.hasPrefix("not valid JSON: the field \"gamma\" appears twice at line \(line), column "))
    }

    @Test("JSON that is not a trace")
    func wrongFormat() throws {
        #expect(try readError("[1, 2, 3]").reason.contains("expected"))
        #expect(try readError("{}").reason == "missing key \"format\"")
        #expect(try readError(try edited("\"rlhf-ppo-trace\"", "\"something-else\"")).reason
                == "format is \"something-else\", expected \"rlhf-ppo-trace\"")
        #expect(try readError(try edited("\"version\": 1", "\"version\": 7")).reason.hasPrefix("version 7 is not supported"))
    }

    @Test("a missing key names where it is missing")
    func missingKey() throws {
        #expect(try readError(try edited("\"gamma\": 1.0,", "")).reason == "missing key \"gamma\" in config")
        #expect(try readError(try edited("\"rm_score\": 1.5,", "")).reason == "missing key \"rm_score\" in rollouts[0]")
        #expect(try readError(try edited("\"approxkl\"", "\"approx_kl\"")).reason == "missing key \"approxkl\" in updates[0]")
    }

    @Test("a mistyped value names the key")
    func mistyped() throws {
        let string = try readError(try edited("\"rm_score\": 1.5", "\"rm_score\": \"high\""))
        #expect(string.reason.hasPrefix("rollouts[0].rm_score: expected a number"))
        let boolean = try readError(try edited("\"whiten_rewards\": false", "\"whiten_rewards\": \"no\""))
        #expect(boolean.reason.hasPrefix("config.whiten_rewards: expected a boolean"))
        let choice = try readError(try edited("\"kl_estimator\": \"k1\"", "\"kl_estimator\": \"k2\""))
        #expect(choice.reason == "config.kl_estimator: \"k2\" is not one of \"k1\", \"k3\"")
        let null = try readError(try edited("\"score\": 1.5", "\"score\": null"))
        #expect(null.reason == "rollouts[0].score: expected a number, found null")
    }

    @Test("arrays whose lengths disagree")
    func lengthsDisagree() throws {
        #expect(try readError(try edited("\"values\": [0.1, 0.25, -0.3, 0.4]", "\"values\": [0.1, 0.25, -0.3]")).reason
                == "rollouts[0].values has 3 entries for 4 response tokens")
        #expect(try readError(try edited("\"rollout_indices\": [0, 2]", "\"rollout_indices\": [0, 5]")).reason
                == "updates[0].rollout_indices names rollout 5 of 3")
        #expect(try readError(try edited("\"rollout_indices\": [0, 2]", "\"rollout_indices\": [0, 1]")).reason
                == "updates[0].new_logprobs[1] has 5 entries for rollout 1's 2 response tokens")
    }
}
