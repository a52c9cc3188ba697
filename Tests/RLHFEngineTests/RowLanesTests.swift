import Testing
import RLHFEngine

/// Layer norm, softmax and log-softmax by every kernel this processor can run (AVX2 and AVX-512 have their own
/// row lanes, RLHFKernels' RowLanes.c; portable and NEON run the engine's Swift loops) against the portable
/// kernel, bit for bit: outputs, and the gradients of a backward pass (dx, and layer norm's dgamma and dbeta).
/// Every row count 1 ... 40 (blocks of 8 and 16 rows whole and partial), widths 1, 3, 16, 17, 48, 62, 64, 65
/// (vectors whole and partial) and 129, 192, 200 (wider than the lanes' 128-column buffer, so blocks straddle
/// its two 8-row transpose groups), values that tie (rows of one value, repeated values, +0 beside -0), zeros
/// and large magnitudes (softmax's: differences so large that exp leaves its main range, or overflow to
/// -infinity); NaN, +infinity and -infinity (every NaN compared as one pattern), rows masked to -infinity after
/// their first columns (a causal mask) and whole rows of -infinity; and sizes that split between the two
/// threads (rows in two parts, dgamma and dbeta by columns). Each comparison also checks, by the lanes' run
/// counts on this thread, that the engine called the lanes of the op (forward and backward) for AVX2 and
/// AVX-512 from 4 rows, and no lanes otherwise.
@Suite("Row lanes give the portable kernel's bits")
struct RowLanesTests {
    static let widths = [1, 3, 16, 17, 48, 62, 64, 65, 129, 192, 200]

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

    /// `awkwardValues` with NaN, +infinity and -infinity mixed in (about one value in 16 each), every seventh row
    /// from the fourth masked to -infinity after its first (row % width) + 1 columns, as a causal mask leaves a
    /// row of scores, and every seventh from the sixth all -infinity.
    static func specialValues(rows: Int, width: Int, large: Float, random: inout SplitMix64) -> [Float] {
        var values = awkwardValues(rows: rows, width: width, large: large, random: &random)
        for row in 0..<rows {
            for column in 0..<width {
                let index = row * width + column
                switch random.next() % 16 {
                case 0: values[index] = .nan
                case 1: values[index] = .infinity
                case 2: values[index] = -.infinity
                default: break
                }
                if row % 7 == 3 && column > row % width || row % 7 == 5 { values[index] = -.infinity }
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

    enum Op: CaseIterable {
        case layerNorm, softmax, logSoftmax

        /// The row functions of RLHFKernels its forward and backward call.
        var functions: [MatrixKernelCheck.RowLaneFunction] {
            switch self {
            case .layerNorm: [.layerNorm, .layerNormInputGradient, .layerNormParameterGradients]
            case .softmax: [.softmax, .softmaxBackward]
            case .logSoftmax: [.logSoftmax, .logSoftmaxBackward]
            }
        }
    }

    /// Whether `kernel` runs `rows` rows in RLHFKernels' lanes (AVX2, AVX-512; from 4 rows, RowLanes.c).
    static func runsLanes(_ kernel: MatrixKernel, rows: Int) -> Bool {
        (kernel == .avx2 || kernel == .avx512) && rows >= 4
    }

    /// `op` on rows x width awkward values by every available kernel, expected equal to the portable kernel.
    static func expectEveryKernelAgrees(_ op: Op, rows: Int, width: Int, special: Bool = false,
                                        random: inout SplitMix64) {
        let large: Float = op == .layerNorm ? 1e17 : (random.next() % 2 == 0 ? 1e30 : 3e38)
        let values = special ? specialValues(rows: rows, width: width, large: large, random: &random)
                             : awkwardValues(rows: rows, width: width, large: large, random: &random)
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
        // With NaN among the inputs every NaN is compared as one pattern: the lanes and the Swift loops meet NaNs
        // in other operand orders, so a NaN's sign and payload may differ (seen: 0x7fc00000 against 0xffc00000).
        func canonical(_ patterns: [[UInt32]]) -> [[UInt32]] {
            special ? patterns.map { $0.map { $0 & 0x7fff_ffff > 0x7f80_0000 ? 0x7fc0_0000 : $0 } } : patterns
        }
        let reference = canonical(result(.portable))
        for kernel in MatrixKernel.available where kernel != .portable {
            let before = MatrixKernelCheck.rowLaneRuns()
            let lanes = canonical(result(kernel))
            let after = MatrixKernelCheck.rowLaneRuns()
            for function in MatrixKernelCheck.RowLaneFunction.allCases {
                let ran = op.functions.contains(function) && runsLanes(kernel, rows: rows)
                #expect((after[function]! > before[function]!) == ran,
                        "\(op) row function \(function) expected to run lanes: \(ran), \(kernel), \(rows) x \(width)")
            }
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

    @Test("NaN, +-infinity, causally masked rows and rows all -infinity, every row count 1 ... 40",
          arguments: Op.allCases, widths)
    func specialValues(op: Op, width: Int) {
        var random = SplitMix64(seed: 1600 + UInt64(width))
        for rows in 1...40 {
            RowLanesTests.expectEveryKernelAgrees(op, rows: rows, width: width, special: true, random: &random)
        }
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
                    let before = MatrixKernelCheck.rowLaneRuns()[.layerNorm]!
                    let lanes = MatrixKernelCheck.layerNormRows(x, gamma: gamma, beta: beta, epsilon: 1e-5,
                                                                kernel: kernel)
                    let ran = MatrixKernelCheck.rowLaneRuns()[.layerNorm]! > before
                    #expect(ran == RowLanesTests.runsLanes(kernel, rows: rows),
                            "layer norm lanes, \(kernel), \(rows) rows x \(width)")
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
