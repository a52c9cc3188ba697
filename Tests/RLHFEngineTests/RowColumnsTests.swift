import Testing
import RLHFEngine

@Suite("One-row products over a padded layer's real columns (multiples of 16), bit for bit")
struct RowColumnsTests {
    @Test("rlhf_row_columns of every kernel, on one thread and split, equals the plain loops on the real columns")
    func realColumns() {
        var random = SplitMix64(seed: 1521)
        // (depth, columns, ldb): the default model's padded layers (144 of 160, 48 of 64, 48 of 64 at depth 192),
        // whole rows, odd depths, and a cut whose halves are 64 and 80 columns.
        let shapes: [(Int, Int, Int)] = [(0, 16, 16), (1, 16, 32), (48, 144, 160), (48, 48, 64), (192, 48, 64),
                                         (7, 80, 96), (48, 192, 192), (13, 208, 224), (5, 32, 32)]
        for (depth, columns, ldb) in shapes {
            var a = random.floats(depth, -2, 2)
            var b = random.floats(depth * ldb, -2, 2)
            if depth > 1 {  // signed zeros: 0 + (-0) must stay +0
                a[0] = -0.0
                a[1] = 0
                b[columns - 1] = -0.0
            }
            if depth > 3 {  // two products that cancel in column 1
                a[3] = a[2]
                b[3 * ldb + 1] = -b[2 * ldb + 1]
            }
            // Every padding column NaN: none may reach a real column.
            for row in 0..<depth { for column in columns..<ldb { b[row * ldb + column] = .nan } }
            let real = (0..<depth).flatMap { row in b[(row * ldb)..<(row * ldb + columns)] }
            let reference = MatrixKernelCheck.multiply(a, real, m: 1, k: depth, n: columns, kernel: .reference)
            for kernel in MatrixKernel.allCases where kernel.isAvailable && kernel != .portable {
                for split in [false, true] {
                    let row = DecodeCheck.rowColumns(a, b, depth: depth, columns: columns, ldb: ldb, kernel: kernel,
                                                     split: split)
                    #expect(row.map(bitPatterns) == bitPatterns(reference),
                            "\(kernel) split \(split), depth \(depth), columns \(columns) of \(ldb)")
                }
            }
        }
        #expect(DecodeCheck.rowColumns([1], [Float](repeating: 1, count: 24), depth: 1, columns: 24, ldb: 24,
                                       kernel: .selected, split: false) == nil, "24 columns: not its shape")
    }
}
