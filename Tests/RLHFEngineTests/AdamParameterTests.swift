import RLHFEngine
import Testing

/// Adam given the same tensor twice (a weight shared by two layers): it keeps one copy, so the
/// tensor has one m and one v and moves once per step.
@Suite("Adam: a parameter listed twice")
struct AdamParameterTests {
    @Test("distinct keeps each tensor once, in the order of first appearance, by identity")
    func distinctByIdentity() {
        let a = Tensor(shape: [2], data: [1, 2], requiresGrad: true)
        let b = Tensor(shape: [2], data: [1, 2], requiresGrad: true)  // equal values, another tensor
        let c = Tensor(shape: [1], data: [3], requiresGrad: true)
        let kept = Adam.distinct([a, b, a, c, b, c])
        #expect(kept.map(ObjectIdentifier.init) == [a, b, c].map(ObjectIdentifier.init))
        #expect(Adam.distinct([]).isEmpty)
    }

    @Test("steps with a repeated tensor give the bits of steps with it listed once")
    func repeatedParameterSteppedOnce() {
        func run(listTwice: Bool) -> (values: [UInt32], norms: [UInt32], count: Int) {
            let shared = Tensor(shape: [3], data: [0.5, -1, 2], requiresGrad: true)
            let other = Tensor(shape: [2], data: [0.25, 4], requiresGrad: true)
            let list = listTwice ? [shared, other, shared] : [shared, other]
            let optimizer = Adam(parameters: list, learningRate: 0.1, maxGradNorm: 1)
            var norms: [UInt32] = []
            for step in 0..<3 {
                shared.grad = [1, -2, 0.5].map { $0 * Float(step + 1) }
                other.grad = [3, -0.75]
                norms.append(optimizer.step().bitPattern)
            }
            return ((shared.data + other.data).map(\.bitPattern), norms, optimizer.parameters.count)
        }
        let once = run(listTwice: false)
        let twice = run(listTwice: true)
        #expect(twice.count == 2)
        #expect(twice.values == once.values)
        #expect(twice.norms == once.norms)
        #expect(once.values != [0.5, -1, 2, 0.25, 4].map { Float($0).bitPattern })  // the steps moved them
    }

    @Test("a step whose gradient holds nan or inf is skipped: values, moments and step count stay, gradients clear")
    func nonFiniteStepSkipped() {
        func run(badFirst: Float?) -> (values: [UInt32], norms: [UInt32]) {
            let weight = Tensor(shape: [3], data: [0.5, -1, 2], requiresGrad: true)
            let optimizer = Adam(parameters: [weight], learningRate: 0.1, maxGradNorm: 1)
            var norms: [UInt32] = []
            if let badFirst {
                weight.grad = [1, badFirst, 0.5]
                #expect(!optimizer.step().isFinite)
                #expect(weight.grad == nil, "the dropped gradient is cleared")
                #expect(weight.data == [0.5, -1, 2], "a skipped step moves nothing")
            }
            for step in 0..<2 {
                weight.grad = [1, -2, 0.5].map { $0 * Float(step + 1) }
                norms.append(optimizer.step().bitPattern)
            }
            return (weight.data.map(\.bitPattern), norms)
        }
        // After a skipped step the next steps are a fresh Adam's first ones: same moments, same t.
        let fresh = run(badFirst: nil)
        #expect(run(badFirst: .nan) == fresh)
        #expect(run(badFirst: .infinity) == fresh)
    }
}
