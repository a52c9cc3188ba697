import Testing
import RLHFEngine

/// Layer norm, softmax and log-softmax by every kernel this processor can run (AVX2 and AVX-512 have their own
/// row lanes, RLHFKernels' RowLanes.c; portable and NEON run the engine's Swift loops) against the portable
/// kernel, bit for bit: outputs, and the gradients of a backward pass (dx, and layer norm's dgamma and dbeta).
/// Every row count 1 ... 40 (blocks of 8 and 16 rows whole and partial), widths 1, 3, 16, 17, 48, 62, 64, 65
/// (vectors whole and partial), values that tie (rows of one value, repeated values, +0 beside -0), zeros and
/// large magnitudes (softmax's: differences so large that exp leaves its main range, or overflow to -infinity);
/// and sizes that split between the two threads (rows in two parts, dgamma and dbeta by columns).
@Suite("Row lanes give the portable kernel's bits")
struct RowLanesTests {
    static let widths = [1, 3, 16, 17, 48, 62, 64, 65]

    /// rows x width values: mostly uniform in [-3, 3), with ties (every fifth row one repeated value, else a
    /// repeat of the value before), +0, -0 and +-large mixed in.
    static func awkwardValues(rows: Int, width: Int, large: Float, random: inout SplitMix64) -> [Float] {
        var values: [Float] = []
        for row in 0..<rows {
            let constant = random.float(-3, 3)
            for column in 0..<width {
                if row % 5 == 2 { values.append(row % 10 == 2 ? 0 : constant); continue }
                switch random.next() % 16 {
                case 0: values.append(0)
                case 1: values.append(-0.0)
                case 2, 3: values.append(column > 0 ? values[values.count - 1] : constant)
                case 4: values.append(random.next() % 2 == 0 ? large : -large)
                default: values.append(random.float(-3, 3))
                }
            }
        }
        return values
    }

    /// Bit patterns of an op's output and of the gradients of sum(output * upstream) by `kernel`.
    static func run(_ values: [Float], upstream: [Float], rows: Int, width: Int, parameters: [Float]?,
                    op: (Tensor, Tensor?, Tensor?) -> Tensor) -> [[UInt32]] {
        let x = Tensor(shape: [rows, width], data: values, requiresGrad: true)
        let gamma = parameters.map { Tensor(shape: [width], data: Array($0[0..<width]), requiresGrad: true) }
        let beta = parameters.map { Tensor(shape: [width], data: Array($0[width...]), requiresGrad: true) }
        let y = op(x, gamma, beta)
        (y * Tensor(shape: [rows, width], data: upstream)).sum().backward()
        return [y.data, x.grad!, gamma?.grad ?? [], beta?.grad ?? []].map(bitPatterns)
    }

    enum Op: CaseIterable { case layerNorm, softmax, logSoftmax }

    /// `op` on rows x width awkward values by every available kernel, expected equal to the portable kernel.
    static func expectEveryKernelAgrees(_ op: Op, rows: Int, width: Int, random: inout SplitMix64) {
        let large: Float = op == .layerNorm ? 1e17 : (random.next() % 2 == 0 ? 1e30 : 3e38)
        let values = awkwardValues(rows: rows, width: width, large: large, random: &random)
        let upstream = random.floats(rows * width, -2, 2).map { $0 < -1.8 ? 0 : $0 }
        let parameters = op == .layerNorm ? random.floats(width, 0.5, 1.5) + random.floats(width, -1, 1) : nil
        func result(_ kernel: MatrixKernel) -> [[UInt32]] {
            run(values, upstream: upstream, rows: rows, width: width, parameters: parameters) { x, gamma, beta in
                switch op {
                case .layerNorm: x.layerNorm(weight: gamma!, bias: beta!, kernel: kernel)
                case .softmax: x.softmax(kernel: kernel)
                case .logSoftmax: x.logSoftmax(kernel: kernel)
                }
            }
        }
        let reference = result(.portable)
        for kernel in MatrixKernel.available where kernel != .portable {
            let lanes = result(kernel)
            for (index, name) in ["output", "dx", "dgamma", "dbeta"].enumerated() {
                #expect(lanes[index] == reference[index], "\(op) \(name), \(kernel), \(rows) rows x \(width)")
            }
        }
    }

    @Test("every row count 1 ... 40, on each width", arguments: Op.allCases, widths)
    func everyRowCount(op: Op, width: Int) {
        var random = SplitMix64(seed: 1500 + UInt64(width))
        for rows in 1...40 { RowLanesTests.expectEveryKernelAgrees(op, rows: rows, width: width, random: &random) }
    }

    @Test("sizes that split between the two threads", arguments: Op.allCases)
    func splitSizes(op: Op) {
        var random = SplitMix64(seed: 1541)
        for (rows, width) in [(171, 48), (200, 62), (130, 65), (482, 17), (9, 1031)] {
            RowLanesTests.expectEveryKernelAgrees(op, rows: rows, width: width, random: &random)
        }
    }

    @Test("layer norm as inference runs it (no x-hat kept), every row count 1 ... 40")
    func inferenceLayerNorm() {
        var random = SplitMix64(seed: 1542)
        for width in RowLanesTests.widths {
            let gamma = random.floats(width, 0.5, 1.5), beta = random.floats(width, -1, 1)
            for rows in 1...40 {
                let x = RowLanesTests.awkwardValues(rows: rows, width: width, large: 1e17, random: &random)
                let reference = MatrixKernelCheck.layerNormRows(x, gamma: gamma, beta: beta, epsilon: 1e-5,
                                                                kernel: .portable)
                for kernel in MatrixKernel.available where kernel != .portable {
                    let lanes = MatrixKernelCheck.layerNormRows(x, gamma: gamma, beta: beta, epsilon: 1e-5,
                                                                kernel: kernel)
                    #expect(bitPatterns(lanes) == bitPatterns(reference), "\(kernel), \(rows) rows x \(width)")
                }
            }
        }
    }

    @Test("AVX2 and AVX-512 run their own lanes (so the comparisons above test them), the others do not")
    func lanesRun() {
        for kernel in MatrixKernel.available {
            #expect(MatrixKernelCheck.hasRowLanes(kernel) == (kernel == .avx2 || kernel == .avx512), "\(kernel)")
        }
    }
}
