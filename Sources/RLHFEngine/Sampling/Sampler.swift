/// How the next token is chosen from the model's logits.
///
/// - greedy: the highest logit (the lowest id on a tie);
/// - temperature t: sample from softmax(logits / t);
/// - top-k: keep the k highest logits, then sample as above.
/// Probabilities are summed in token-id order and compared with one uniform draw,
/// so the same generator state picks the same token everywhere.
public struct Sampler: Sendable, Equatable {
    /// 0 means greedy.
    public var temperature: Float
    /// Keep only the k most likely tokens; nil or 0 keeps all.
    public var topK: Int?

    public init(temperature: Float = 1.0, topK: Int? = nil) {
        precondition(temperature >= 0, "temperature must be >= 0")
        self.temperature = temperature
        self.topK = topK
    }

    public static let greedy = Sampler(temperature: 0)

    /// The distribution the sampler draws from: softmax(logits / t) over the kept tokens,
    /// zero elsewhere. For greedy, all mass on the argmax.
    public func probabilities(logits: [Float]) -> [Double] {
        var result = [Double](repeating: 0, count: logits.count)
        if temperature == 0 {
            result[Sampler.argmax(logits)] = 1
            return result
        }
        let kept = keptIndices(logits)
        let scaled = kept.map { Double(logits[$0]) / Double(temperature) }
        let largest = scaled.max() ?? 0
        // The weights eight at a time (`FastPortableMath.exp`, PortableMath's bits), then summed in order.
        var weights = scaled
        weights.withUnsafeMutableBufferPointer { values in
            var position = 0
            while position + 8 <= values.count {
                let raw = UnsafeMutableRawPointer(values.baseAddress! + position)
                raw.storeBytes(of: FastPortableMath.exp(raw.loadUnaligned(as: SIMD8<Double>.self) - largest),
                               as: SIMD8<Double>.self)
                position += 8
            }
            for position in position..<values.count { values[position] = PortableMath.exp(values[position] - largest) }
        }
        var total = 0.0
        for (position, index) in kept.enumerated() {
            result[index] = weights[position]
            total += weights[position]
        }
        for index in kept { result[index] /= total }
        return result
    }

    /// One token drawn from `probabilities(logits:)`.
    public func sample(logits: [Float], random: inout RandomGenerator) -> Int {
        if temperature == 0 { return Sampler.argmax(logits) }
        let distribution = probabilities(logits: logits)
        let draw = random.nextUniform()
        var cumulative = 0.0
        var last = 0
        for (index, probability) in distribution.enumerated() where probability > 0 {
            cumulative += probability
            last = index
            if draw < cumulative { return index }
        }
        return last  // rounding left the draw just above the total
    }

    /// `sample(logits:random:)` without building arrays: the same draw and the same token, from logits in a
    /// buffer and the weights in `scratch` (at least `logits.count` Doubles). Without top-k, every token is
    /// kept and the arithmetic is `probabilities`' over all of them, in the same order: scaled s_i =
    /// logit_i / t, the largest taken as `max()` takes it, w_i = e^(s_i - largest) eight at a time and the
    /// rest one by one, total = w_0 + w_1 + ... in id order, p_i = w_i / total, and the draw compared with
    /// the running sum of the p_i > 0 in id order. With top-k it calls `sample(logits:random:)`.
    func sample(logits: UnsafeBufferPointer<Float>, scratch: UnsafeMutablePointer<Double>,
                random: inout RandomGenerator) -> Int {
        let count = logits.count
        if temperature == 0 {
            var best = 0
            for index in 0..<count where logits[index] > logits[best] { best = index }
            return best
        }
        if let k = topK, k > 0, k < count { return sample(logits: Array(logits), random: &random) }
        let t = Double(temperature)
        for index in 0..<count { scratch[index] = Double(logits[index]) / t }
        var largest = count > 0 ? scratch[0] : 0
        for index in 1..<Swift.max(count, 1) where largest < scratch[index] { largest = scratch[index] }
        var position = 0
        while position + 8 <= count {
            let raw = UnsafeMutableRawPointer(scratch + position)
            raw.storeBytes(of: FastPortableMath.exp(raw.loadUnaligned(as: SIMD8<Double>.self) - largest),
                           as: SIMD8<Double>.self)
            position += 8
        }
        for position in position..<count { scratch[position] = PortableMath.exp(scratch[position] - largest) }
        var total = 0.0
        for index in 0..<count { total += scratch[index] }
        let draw = random.nextUniform()
        var cumulative = 0.0
        var last = 0
        for index in 0..<count {
            let probability = scratch[index] / total
            guard probability > 0 else { continue }
            cumulative += probability
            last = index
            if draw < cumulative { return index }
        }
        return last  // rounding left the draw just above the total
    }

    /// Indices of the tokens top-k keeps, in id order (ties at the k-th logit favour lower ids).
    func keptIndices(_ logits: [Float]) -> [Int] {
        guard let k = topK, k > 0, k < logits.count else { return Array(logits.indices) }
        let ranked = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        return ranked.prefix(k).sorted()
    }

    /// The index of the largest value; the first on a tie.
    public static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for index in values.indices where values[index] > values[best] { best = index }
        return best
    }
}
