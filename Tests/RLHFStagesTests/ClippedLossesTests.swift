import RLHFEngine
import RLHFStages
import Testing

/// PPO's clipped policy and value losses, clipfrac, vf_clipfrac and approxkl.
@Suite("Clipped losses")
struct ClippedLossesTests {
    typealias U = PPOSmall.Update
    static let old = U.rolloutIndices.map { PPOSmall.rollouts[$0] }

    @Test("the policy loss matches ppo-small.json (Float32 tensors, so 1e-5)")
    func policyMatchesReference() {
        let new = U.newLogprobs.flatMap { $0 }
        let policy = ClippedLosses.policy(
            newLogprobs: Tensor(shape: [new.count], data: new.map(Float.init)),
            oldLogprobs: Self.old.flatMap(\.logprobs), advantages: Self.old.flatMap(\.advantages),
            cliprange: PPOSmall.cliprange)
        #expect(close(policy.ratio.data.map(Double.init), U.ratio, 1e-5))
        #expect(close(policy.unclipped.data.map(Double.init), U.pgLossesUnclipped, 1e-5))
        #expect(close(policy.clipped.data.map(Double.init), U.pgLossesClipped, 1e-5))
        #expect(close(Double(policy.loss.item), U.pgLoss, 1e-5))
        let clipfrac = ClippedLosses.clipFraction(unclipped: policy.unclipped.data, clipped: policy.clipped.data)
        #expect(close(clipfrac, U.clipfrac, 1e-12))
    }

    @Test("the value loss, vf_clipfrac and the total loss match ppo-small.json")
    func valueMatchesReference() {
        let newValues = U.newValues.flatMap { $0 }
        let value = ClippedLosses.value(
            newValues: Tensor(shape: [newValues.count], data: newValues.map(Float.init)),
            oldValues: Self.old.flatMap(\.values), returns: Self.old.flatMap(\.returns),
            cliprange: PPOSmall.cliprangeValue)
        #expect(close(Double(value.loss.item), U.vfLoss, 1e-5))
        let vfClipfrac = ClippedLosses.valueClipFraction(
            newValues: newValues.map(Float.init), oldValues: Self.old.flatMap(\.values),
            unclipped: value.unclipped.data, clipped: value.clipped.data, cliprange: PPOSmall.cliprangeValue)
        #expect(close(vfClipfrac, U.vfClipfrac, 1e-12))

        let new = U.newLogprobs.flatMap { $0 }
        let policy = ClippedLosses.policy(
            newLogprobs: Tensor(shape: [new.count], data: new.map(Float.init)),
            oldLogprobs: Self.old.flatMap(\.logprobs), advantages: Self.old.flatMap(\.advantages),
            cliprange: PPOSmall.cliprange)
        let loss = policy.loss + value.loss * Float(PPOSmall.vfCoef)
        #expect(close(Double(loss.item), U.loss, 1e-5))
    }

    @Test("approxkl matches ppo-small.json (new log-probs pass through Float32)")
    func approxKLMatchesReference() {
        let approx = ClippedLosses.approxKL(newLogprobs: U.newLogprobs.flatMap { $0 }.map(Float.init),
                                            oldLogprobs: Self.old.flatMap(\.logprobs))
        #expect(close(approx, U.approxkl, 1e-7))
    }

    @Test("the policy loss by hand on four tokens")
    func policyByHand() {
        // eps = 0.2; old log-probs 0, so ratio = exp(new).
        //   ratio 1.5, A  1: -A r = -1.5, -A clip = -1.2 -> max -1.2 (clipped: the gain is capped)
        //   ratio 0.5, A -1: -A r =  0.5, -A clip =  0.8 -> max  0.8 (clipped)
        //   ratio 1.1, A  2: inside [0.8, 1.2], both -2.2  -> -2.2 (not clipped)
        //   ratio 1.5, A -1: -A r =  1.5, -A clip =  1.2 -> max  1.5 (pessimistic: the loss is not capped)
        //   pg_loss = (-1.2 + 0.8 - 2.2 + 1.5) / 4 = -0.275; clipfrac = 2/4
        let ratios: [Float] = [1.5, 0.5, 1.1, 1.5]
        let policy = ClippedLosses.policy(
            newLogprobs: Tensor(shape: [4], data: ratios.map { Float(PortableMath.log(Double($0))) }),
            oldLogprobs: [0, 0, 0, 0], advantages: [1, -1, 2, -1], cliprange: 0.2)
        #expect(close(policy.ratio.data.map(Double.init), [1.5, 0.5, 1.1, 1.5], 1e-6))
        #expect(close(policy.unclipped.data.map(Double.init), [-1.5, 0.5, -2.2, 1.5], 1e-6))
        #expect(close(policy.clipped.data.map(Double.init), [-1.2, 0.8, -2.2, 1.2], 1e-6))
        #expect(close(Double(policy.loss.item), -0.275, 1e-6))
        #expect(ClippedLosses.clipFraction(unclipped: policy.unclipped.data, clipped: policy.clipped.data) == 0.5)
    }

    @Test("the value loss by hand on two tokens")
    func valueByHand() {
        // c = 0.2.
        //   old 0, new 0.5, return 1: (0.5 - 1)^2 = 0.25; V_clip = 0 + 0.2 = 0.2, (0.2 - 1)^2 = 0.64 -> 0.64 (clipped)
        //   old 1, new 1.5, return 0: (1.5 - 0)^2 = 2.25; V_clip = 1.2,       1.2^2 = 1.44 -> 2.25
        //   vf_loss = 0.5 * (0.64 + 2.25) / 2 = 0.7225; vf_clipfrac = 1/2
        let value = ClippedLosses.value(newValues: Tensor(shape: [2], data: [0.5, 1.5]),
                                        oldValues: [0, 1], returns: [1, 0], cliprange: 0.2)
        #expect(close(value.unclipped.data.map(Double.init), [0.25, 2.25], 1e-6))
        #expect(close(value.clipped.data.map(Double.init), [0.64, 1.44], 1e-6))
        #expect(close(Double(value.loss.item), 0.7225, 1e-6))
        #expect(ClippedLosses.clipFraction(unclipped: value.unclipped.data, clipped: value.clipped.data) == 0.5)
    }

    @Test("vf_clipfrac counts no token inside the clip range (V_old + clip(V - V_old) rounds one step off V)")
    func valueInsideRangeIsNeverClipped() {
        // A grid of (V_old, V_new) pairs near 0, all with |V_new - V_old| < c = 0.2, each with a return just above
        // and just below V_new. As V_old + clip(V_new - V_old), 393 of these 3360 tokens come out one float step
        // off V_new on the far side of the return, so their clipped term is larger by a rounding error: counting
        // by the terms alone (the old vf_clipfrac) gives 393 / 3360 = 0.117; TRL, which clamps V_new itself, 0.
        var olds: [Double] = [], news: [Float] = [], returns: [Double] = []
        for i in 0..<41 {
            for j in 0..<41 {
                let old = Float(-0.1 + 0.005 * Double(i) + 0.0001), new = Float(-0.1 + 0.005 * Double(j) + 0.00037)
                guard abs(Double(new) - Double(old)) < 0.2 else { continue }
                for target in [new + Float(0.05), new - Float(0.05)] {
                    olds.append(Double(old))
                    news.append(new)
                    returns.append(Double(target))
                }
            }
        }
        let value = ClippedLosses.value(newValues: Tensor(shape: [news.count], data: news),
                                        oldValues: olds, returns: returns, cliprange: 0.2)
        #expect(ClippedLosses.clipFraction(unclipped: value.unclipped.data, clipped: value.clipped.data) == 393.0 / 3360)
        #expect(ClippedLosses.valueClipFraction(newValues: news, oldValues: olds, unclipped: value.unclipped.data,
                                                clipped: value.clipped.data, cliprange: 0.2) == 0)
        // Outside the range the count is TRL's: here both tokens are clipped and the clipped term is larger.
        let outside = ClippedLosses.value(newValues: Tensor(shape: [2], data: [0.5, -0.5]),
                                          oldValues: [0, 0], returns: [1, -1], cliprange: 0.2)
        #expect(ClippedLosses.valueClipFraction(newValues: [0.5, -0.5], oldValues: [0, 0],
                                                unclipped: outside.unclipped.data, clipped: outside.clipped.data,
                                                cliprange: 0.2) == 1)
    }

    @Test("approxkl by hand: 0.5 * mean((new - old)^2)")
    func approxKLByHand() {
        // differences 0.5 and -1: 0.5 * (0.25 + 1) / 2 = 0.3125
        #expect(ClippedLosses.approxKL(newLogprobs: [-1, -2], oldLogprobs: [-1.5, -1]) == 0.3125)
        #expect(ClippedLosses.approxKL(newLogprobs: [-1, -2], oldLogprobs: [-1, -2]) == 0)
    }
}
