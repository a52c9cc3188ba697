import ArgumentParser
import Foundation
import RLHFEngine
import RLHFSimulator

/// `rlhf outputs DIR TEXT...`: what the models of a `save` folder compute for some texts, as one JSON object, for
/// tools/check_hf.py to compare with Hugging Face transformers. Hidden from `rlhf --help`; the README's
/// "Cross-checks" section documents it.
///
/// DIR is loaded by the REPL's own `load` command into a session on the world; each TEXT is encoded by the
/// world's tokenizer and closed with EOS. For each text it prints the token ids, the policy's logits and values
/// and the reference's logits at every position, and the reward model's score read at the final EOS. The scores
/// of all texts come from one right-padded batch, the path PPO scores rollouts by.
struct OutputsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outputs",
        abstract: "Print the logits, values and reward scores of a `save` folder's models for TEXTs, as JSON.",
        shouldDisplay: false)

    @Argument(help: "A folder written by `save DIR`.")
    var folder: String

    @Argument(help: "Texts to encode (each closed with EOS).")
    var texts: [String]

    @OptionGroup var options: SessionOptions

    func run() throws {
        let interpreter = Interpreter(session: try options.startSession())
        let console = TextConsole()
        if case let .failed(message) = interpreter.execute("load \(folder)", console: console) {
            throw StartupError(message: message)
        }
        let session = interpreter.session
        let tokenizer = session.tokenizer
        let rows = try texts.map { try tokenizer.encode($0, source: "outputs") + [tokenizer.eosID] }
        let scores = GradientMode.withoutRecording { session.reward.scores(sequences: rows).data }
        let perText = zip(texts, rows).enumerated().map { index, pair -> JSONText in
            let (text, row) = pair
            let (logits, values, referenceLogits) = GradientMode.withoutRecording {
                let (logits, values) = session.policy.forward([row])  // (1, T, V), (1, T)
                return (logits, values, session.sft.logits([row]))
            }
            return .object([
                ("text", .string(text)),
                ("ids", .integers(row)),
                ("policy_logits", Self.matrix(logits)),
                ("values", .array(values.data.map(JSONText.float))),
                ("reference_logits", Self.matrix(referenceLogits)),
                ("reward_score", .float(scores[index])),
            ])
        }
        print(JSONText.object([("texts", .array(perText))]).rendered(compact: true))
    }

    /// A (1, T, V) tensor as T rows of V numbers.
    private static func matrix(_ tensor: Tensor) -> JSONText {
        let width = tensor.shape[2]
        return .array(stride(from: 0, to: tensor.count, by: width).map { start in
            .array(tensor.data[start..<start + width].map(JSONText.float))
        })
    }
}
