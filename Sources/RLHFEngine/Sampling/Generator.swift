/// Samples continuations from one model, many in a row, without redoing shared work: what
/// `GPT2.generate` samples, bit for bit and draw for draw.
///
/// Two things are kept between calls. One decoder (its buffers and its copies of every weight, the
/// embeddings, the layer norms and the biases) serves every continuation instead of a fresh one each. And each
/// distinct prompt is fed once: its key/value cache and its next-token logits are remembered, and every
/// later continuation of it starts from a copy. The per-row arithmetic of a prompt's positions never depends on what
/// follows them, so the copied cache holds exactly the bits feeding the prompt again would compute,
/// and the random draws are the same draws in the same order (none is made while feeding).
///
/// Like the decoder, a generator keeps copies of the weights (see `IncrementalDecoder`) and caches made
/// from all of them: after the model's parameters change (a training step), make a new one.
public final class Generator {
    public let model: GPT2
    private let decoder: IncrementalDecoder
    /// Per prompt fed so far: its cache and the logits after its last token.
    private var prompts: [[Int]: (cache: IncrementalDecoder.Snapshot, logits: [Float])] = [:]
    /// The sampler's weights over the vocabulary (`Sampler.sample(logits:scratch:random:)`).
    private let scratch: UnsafeMutablePointer<Double>

    public convenience init(model: GPT2) {
        self.init(decoder: IncrementalDecoder(model: model))
    }

    /// A generator sampling through `decoder` (made fresh for `decoder.model`; tests pass one that splits).
    init(decoder: IncrementalDecoder) {
        model = decoder.model
        self.decoder = decoder
        scratch = .allocate(capacity: Swift.max(model.config.vocabularySize, 1))
    }

    deinit { scratch.deallocate() }

    /// How many distinct prompts have been fed (each once).
    public var cachedPromptCount: Int { prompts.count }

    /// Samples up to `maxNewTokens` tokens after `prompt`, stopping after EOS or at the context length:
    /// the same continuation, from the same draws, as `model.generate` with the same arguments.
    public func generate(prompt: [Int], maxNewTokens: Int, eosID: Int, sampler: Sampler,
                         random: inout RandomGenerator) -> Continuation {
        var length = prompt.count
        var generated: [Int] = []
        guard maxNewTokens > 0 && length < model.config.contextLength else {
            return Continuation(tokens: generated, endedWithEOS: false)
        }
        generated.reserveCapacity(Swift.min(maxNewTokens, model.config.contextLength))
        precondition(!prompt.isEmpty, "hiddenStates needs at least one non-empty row")
        var next: Int
        if let known = prompts[prompt] {
            decoder.restore(known.cache)
            next = known.logits.withUnsafeBufferPointer {
                sampler.sample(logits: $0, scratch: scratch, random: &random)
            }
        } else {
            decoder.reset()
            let logits = decoder.append(prompt)
            prompts[prompt] = (decoder.snapshot(), logits)
            next = logits.withUnsafeBufferPointer { sampler.sample(logits: $0, scratch: scratch, random: &random) }
        }
        while true {
            length += 1
            generated.append(next)
            if next == eosID { return Continuation(tokens: generated, endedWithEOS: true) }
            guard generated.count < maxNewTokens && length < model.config.contextLength else { break }
            next = sampler.sample(logits: decoder.append(token: next), scratch: scratch, random: &random)
        }
        return Continuation(tokens: generated, endedWithEOS: false)
    }
}
