/// xoshiro256** (Blackman and Vigna, 2018), seeded through SplitMix64.
///
/// Every random choice in the project (initial weights, sampled tokens, shuffled
/// minibatches, the annotator's coin flips) comes from one of these, passed in
/// explicitly. The algorithm is fixed and uses only 64-bit integer arithmetic, so a
/// seed gives the same stream on every machine and every Swift version. It does not
/// conform to `RandomNumberGenerator` on purpose: the standard library's
/// `random(in:using:)` and `shuffle(using:)` may change their algorithms between
/// releases, so we write our own below.
public struct RandomGenerator: Sendable, Equatable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public static func == (a: RandomGenerator, b: RandomGenerator) -> Bool {
        a.state == b.state
    }

    /// A generator whose 256-bit state is filled from `seed` by SplitMix64.
    public init(seed: UInt64) {
        var mixer = seed
        func splitMix() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform Double in [0, 1): the top 53 bits scaled by 2^-53.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in 0..<bound, by rejection so that no value is favoured.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let limit = UInt64(bound)
        let threshold = (0 &- limit) % limit  // 2^64 mod bound: values below it are rejected
        while true {
            let value = next()
            if value >= threshold { return Int(value % limit) }
        }
    }

    /// A standard normal sample by Marsaglia's polar method (only log and sqrt needed).
    public mutating func nextNormal() -> Double {
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * PortableMath.log(s) / s).squareRoot()
            }
        }
    }

    /// The elements in a random order (Fisher-Yates, from the last position down).
    public mutating func shuffled<Element>(_ elements: [Element]) -> [Element] {
        var result = elements
        if result.count < 2 { return result }
        for index in stride(from: result.count - 1, to: 0, by: -1) {
            result.swapAt(index, nextInt(below: index + 1))
        }
        return result
    }
}
