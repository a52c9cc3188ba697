import Testing
import RLHFEngine

/// Row-wise ops split between the two threads (from 8192 values and 8 rows: rows in chunks,
/// layer norm's dgamma and dbeta in chunks of the columns) against the same op on one
/// thread: the formulas one value at a time for layer norm, and each row on its own (a tensor
/// of one row never splits) for softmax and log-softmax. Row counts just below, at and above
/// the split's threshold, widths odd and even, narrower and wider than one lane group.
@Suite("Row-wise ops on two threads: the bits of one thread")
struct RowSplitBitsTests {
    /// Row counts around the smallest that splits for `width`: 8192 values and at least 8 rows.
    static func rowCounts(width: Int) -> [Int] {
        let smallest = Swift.max(8, (8192 + width - 1) / width)
        return [smallest - 1, smallest, smallest + 1, smallest + 3, smallest + 6]
    }

    @Test("layerNorm, forward and backward", arguments: [5, 48, 61, 200, 1031])
    func layerNorm(width: Int) {
        for rows in RowSplitBitsTests.rowCounts(width: width) {
            _ = RowLoopBitsTests.checkLayerNorm(rows: rows, width: width, seed: UInt64(rows * 7 + width),
                                                parameterSeed: 17)
        }
    }

    /// `op` on all rows at once against `op` on each row alone: values and gradients, bit for bit.
    static func expectRowsAlone(_ op: (Tensor) -> Tensor, rows: Int, width: Int) {
        let xValues = RowLoopBitsTests.values(rows * width, seed: UInt64(rows * 11 + width), scale: 4)
        let gValues = RowLoopBitsTests.values(rows * width, seed: UInt64(rows * 11 + width + 1))
        let x = Tensor(shape: [rows, width], data: xValues, requiresGrad: true)
        let y = op(x)
        (y * Tensor(shape: [rows, width], data: gValues)).sum().backward()
        var aloneValues: [Float] = [], aloneGradients: [Float] = []
        for row in 0..<rows {
            let range = (row * width)..<((row + 1) * width)
            let one = Tensor(shape: [1, width], data: Array(xValues[range]), requiresGrad: true)
            let oneY = op(one)
            (oneY * Tensor(shape: [1, width], data: Array(gValues[range]))).sum().backward()
            aloneValues += oneY.data
            aloneGradients += one.grad!
        }
        #expect(bitPatterns(y.data) == bitPatterns(aloneValues), "rows \(rows), width \(width)")
        #expect(bitPatterns(x.grad!) == bitPatterns(aloneGradients), "rows \(rows), width \(width)")
    }

    @Test("softmax and logSoftmax, forward and backward", arguments: [7, 64, 97, 1030])
    func softmaxRows(width: Int) {
        for rows in RowSplitBitsTests.rowCounts(width: width) {
            RowSplitBitsTests.expectRowsAlone({ $0.softmax() }, rows: rows, width: width)
            RowSplitBitsTests.expectRowsAlone({ $0.logSoftmax() }, rows: rows, width: width)
        }
    }
}
