import Testing
import RLHFEngine

/// A pair of axes to swap, for the transpose tests.
struct AxisPair: Sendable, CustomTestStringConvertible {
    let first: Int
    let second: Int
    var testDescription: String { "(\(first), \(second))" }
}

@Suite("Gradients: indexing and reshaping")
struct IndexingReshapingGradientTests {
    @Test("embedding with repeated ids")
    func embedding() {
        var random = SplitMix64(seed: 41)
        let table = random.tensor([5, 3])
        // Row 2 is looked up three times, row 0 twice, row 4 never (its gradient is 0).
        let ids = [2, 0, 2, 1, 3, 2, 0, 1]
        let report = expectGradientsMatch([table]) { $0[0].embedding(ids, shape: [2, 4]) }
        #expect(report.analytic[0][12..<15].allSatisfy { $0 == 0 }, "unused row 4 must get no gradient")
    }

    @Test("gatherLastAxis")
    func gather() {
        var random = SplitMix64(seed: 42)
        let x = random.tensor([2, 3, 5])
        expectGradientsMatch([x]) { $0[0].gatherLastAxis([4, 0, 2, 2, 1, 4]) }
    }

    @Test("selectRows with repeats")
    func selectRows() {
        var random = SplitMix64(seed: 43)
        let x = random.tensor([4, 2, 3])
        expectGradientsMatch([x]) { $0[0].selectRows([3, 1, 3, 0, 3]) }
    }

    @Test("sliceLastAxis", arguments: [0..<2, 1..<4, 3..<5, 0..<5])
    func slice(_ range: Range<Int>) {
        var random = SplitMix64(seed: 44)
        let x = random.tensor([2, 3, 5])
        expectGradientsMatch([x]) { $0[0].sliceLastAxis(range) }
    }

    @Test("reshaped", arguments: [[6, 4], [4, -1], [2, 3, 2, 2], [24]])
    func reshape(_ shape: [Int]) {
        var random = SplitMix64(seed: 45)
        let x = random.tensor([2, 3, 4])
        expectGradientsMatch([x]) { $0[0].reshaped(shape) }
    }

    @Test("transposed on a 4-D tensor", arguments: [
        AxisPair(first: 0, second: 1), AxisPair(first: 1, second: 2), AxisPair(first: 2, second: 3),
        AxisPair(first: 0, second: 3), AxisPair(first: 1, second: 3), AxisPair(first: -1, second: -2),
        AxisPair(first: 2, second: 2),
    ])
    func transpose(_ axes: AxisPair) {
        var random = SplitMix64(seed: 46)
        // Distinct sizes so a wrong permutation cannot hide behind equal dimensions.
        let x = random.tensor([2, 3, 4, 5])
        expectGradientsMatch([x]) { $0[0].transposed(axes.first, axes.second) }
    }

    @Test("reshape and transpose chained, as in attention head splitting")
    func headSplit() {
        var random = SplitMix64(seed: 47)
        let x = random.tensor([2, 3, 6])  // (B, T, C), split into 2 heads of 3
        expectGradientsMatch([x]) { $0[0].reshaped([2, 3, 2, 3]).transposed(1, 2) }
    }
}
