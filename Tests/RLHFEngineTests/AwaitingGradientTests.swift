import Testing
import RLHFEngine

/// x + y hands its gradient g to both inputs without a copy, their 0 + g (which turns -0 into +0) deferred
/// into the next accumulation or written before a reader that needs it: every leaf gradient must be the bits
/// of the plain rule, dx = 0 + g. Each case builds an upstream gradient with -0 in it (t = s * -1 of a
/// gradient w with zeros: -w, so -0 where w is 0) and states the plain path's bits by hand.
@Suite("x + y: the deferred 0 + g gives the plain path's gradient bits")
struct AwaitingGradientTests {
    /// w with exact zeros among random values, and g = ds = -(0 + w) of loss = ((s * -1) * w).sum().
    static func weights(_ count: Int, _ random: inout SplitMix64) -> (w: Tensor, ds: [Float]) {
        var values = random.floats(count, -2, 2)
        for index in stride(from: 0, to: count, by: 3) { values[index] = 0 }
        return (Tensor(shape: [count], data: values), values.map { (0 + $0) * -1 })
    }

    static func loss(_ s: Tensor, _ w: Tensor) -> Tensor { ((s * -1) * w).sum() }

    @Test("a leaf input of x + y gets 0 + g, and so does one behind a reshape")
    func leafInputs() {
        var random = SplitMix64(seed: 1501)
        let (w, ds) = AwaitingGradientTests.weights(12, &random)
        let a = random.tensor([3, 4]), b = random.tensor([12])
        AwaitingGradientTests.loss(a.reshaped([12]) + b, w).backward()
        let expected = bitPatterns(ds.map { 0 + $0 })
        #expect(bitPatterns(a.grad!) == expected)
        #expect(bitPatterns(b.grad!) == expected)
        #expect(expected.contains(0) && !expected.contains(0x8000_0000))  // the case is there: -0 became +0
    }

    @Test("x + x gets (0 + g) + (0 + g)")
    func sameInputTwice() {
        var random = SplitMix64(seed: 1502)
        let (w, ds) = AwaitingGradientTests.weights(10, &random)
        let a = random.tensor([10])
        AwaitingGradientTests.loss(a + a, w).backward()
        #expect(bitPatterns(a.grad!) == bitPatterns(ds.map { (0 + $0) + (0 + $0) }))
    }

    @Test("an input that x + y reaches first, then another op: (0 + g) + v")
    func thenAnotherTerm() {
        var random = SplitMix64(seed: 1503)
        let (w, ds) = AwaitingGradientTests.weights(9, &random)
        let a = random.tensor([9]), b = random.tensor([9])
        // a feeds the sum and, after it in the backward order, a term whose gradient is ds too (-0 at zeros).
        let s = a + b
        (AwaitingGradientTests.loss(s, w) + AwaitingGradientTests.loss(a, w)).backward()
        // (0 + g) + v in either order of the two terms (an IEEE sum of two is the same either way).
        #expect(bitPatterns(a.grad!) == bitPatterns(ds.map { (0 + $0) + $0 }))
        #expect(bitPatterns(b.grad!) == bitPatterns(ds.map { 0 + $0 }))
    }

    @Test("an op whose backward needs the settled gradient (p * -1) reads 0 + g, not g")
    func settledForAReader() {
        var random = SplitMix64(seed: 1504)
        let (w, ds) = AwaitingGradientTests.weights(11, &random)
        let a = random.tensor([11]), b = random.tensor([11])
        AwaitingGradientTests.loss(a * -1 + b, w).backward()
        // dp = 0 + g (+0 where g is -0), then da = dp * -1: -0 there; g itself would give +0.
        let expected = bitPatterns(ds.map { (0 + $0) * -1 })
        #expect(bitPatterns(a.grad!) == expected)
        #expect(expected.contains(0x8000_0000))
    }

    @Test("the embedding sum of the model's first layer: rows added onto zeros read g as it stands")
    func embeddingRows() {
        var random = SplitMix64(seed: 1505)
        let (w, ds) = AwaitingGradientTests.weights(4 * 3, &random)
        let table = random.tensor([5, 3]), positions = random.tensor([4, 3])
        let ids = [4, 1, 4, 0]
        let s = table.embedding(ids, shape: [4]) + positions.embedding([0, 1, 2, 3], shape: [4])
        AwaitingGradientTests.loss(s.reshaped([12]), w).backward()
        var expected = [Float](repeating: 0, count: 15)
        for (row, id) in ids.enumerated() {
            for column in 0..<3 { expected[id * 3 + column] += 0 + ds[row * 3 + column] }
        }
        #expect(bitPatterns(table.grad!) == bitPatterns(expected))
        #expect(bitPatterns(positions.grad!) == bitPatterns(ds.map { 0 + (0 + $0) }))
    }

    /// Leaf gradient bits of loss(P + y), P made from `leaves` by `producer`: in `settledFirst`, P passes
    /// through `* 1` first, whose backward takes the settled 0 + g (the plain rule every op had before the
    /// deferred add), so the producer's backward reads 0 + g; otherwise it reads g itself, -0 included.
    static func gradients(seed: UInt64, shapes: [[Int]], settledFirst: Bool,
                          _ producer: ([Tensor]) -> Tensor) -> (bits: [[UInt32]], upstreamHasNegativeZero: Bool) {
        var random = SplitMix64(seed: seed)
        let leaves = shapes.map { random.tensor($0) }
        let product = producer(leaves)
        let (w, ds) = AwaitingGradientTests.weights(product.data.count, &random)
        let y = random.tensor(product.shape)
        let sum = (settledFirst ? product * 1 : product) + y
        AwaitingGradientTests.loss(sum.reshaped([product.data.count]), w).backward()
        return ((leaves + [y]).map { bitPatterns($0.grad!) }, bitPatterns(ds).contains(0x8000_0000))
    }

    @Test("readers of g as it stands (affine, matmul, a broadcast bias add, a row gather) give the bits of 0 + g",
          arguments: 0..<4)
    func readersOfTheRawGradient(_ kind: Int) {
        let cases: [([[Int]], ([Tensor]) -> Tensor)] = [
            ([[6, 5], [5, 7], [7]], { $0[0].affine(weight: $0[1], bias: $0[2]) }),  // (6, 7)
            ([[6, 5], [5, 7]], { $0[0].matmul($0[1]) }),                              // (6, 7)
            ([[6, 7], [7]], { $0[0] + $0[1] }),                                       // (6, 7) + (7)
            ([[5, 4]], { $0[0].selectRows([4, 0, 4, 2]) }),                            // (4, 4)
        ]
        let (shapes, producer) = cases[kind]
        let raw = Self.gradients(seed: 1510 + UInt64(kind), shapes: shapes, settledFirst: false, producer)
        let settled = Self.gradients(seed: 1510 + UInt64(kind), shapes: shapes, settledFirst: true, producer)
        #expect(raw.upstreamHasNegativeZero)  // the case is there
        #expect(raw.bits == settled.bits)
    }
}
