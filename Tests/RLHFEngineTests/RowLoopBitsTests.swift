import Testing
import RLHFEngine

/// The row loops written for speed (layer norm four rows at a time, softmax and log-softmax
/// with eight exponentials at a time, the affine map as one op) against their formulas
/// written out one value at a time: the same bits, forward and backward.
@Suite("Row loops: the bits of the one-value-at-a-time formulas")
struct RowLoopBitsTests {
    static func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var random = RandomGenerator(seed: seed)
        return (0..<count).map { _ in Float(random.nextNormal()) * scale }
    }

    typealias LayerNormReference = (y: [Float], dx: [Float], dGamma: [Float], dBeta: [Float])

    /// Layer norm of one row and its backward, each sum in column order (rows in order for
    /// dgamma and dbeta), as LayerNorm.swift's formulas state them.
    static func referenceLayerNorm(_ x: [Float], _ g: [Float], gamma: [Float], beta: [Float], width: Int)
        -> LayerNormReference {
        let rows = x.count / width
        var y = [Float](repeating: 0, count: x.count), dx = y
        var dGamma = [Float](repeating: 0, count: width), dBeta = dGamma
        for row in 0..<rows {
            let base = row * width
            var total: Float = 0
            for column in 0..<width { total += x[base + column] }
            let mean = total / Float(width)
            var squares: Float = 0
            for column in 0..<width { let centred = x[base + column] - mean; squares += centred * centred }
            let scale = 1 / (squares / Float(width) + 1e-5).squareRoot()
            var xhat = [Float](repeating: 0, count: width)
            for column in 0..<width {
                xhat[column] = (x[base + column] - mean) * scale
                y[base + column] = xhat[column] * gamma[column] + beta[column]
            }
            var meanGx: Float = 0, meanGxXhat: Float = 0
            for column in 0..<width {
                dGamma[column] += g[base + column] * xhat[column]
                dBeta[column] += g[base + column]
                let gx = g[base + column] * gamma[column]
                meanGx += gx
                meanGxXhat += gx * xhat[column]
            }
            meanGx /= Float(width)
            meanGxXhat /= Float(width)
            for column in 0..<width {
                let gx = g[base + column] * gamma[column]
                dx[base + column] = scale * (gx - meanGx - xhat[column] * meanGxXhat)
            }
        }
        return (y, dx, dGamma, dBeta)
    }

    /// Layer norm of `rows` x `width` values (from `seed`; gamma and beta from `parameterSeed`), forward and
    /// backward through the graph, expected equal bit for bit to the one-value-at-a-time reference.
    static func checkLayerNorm(rows: Int, width: Int, seed: UInt64, parameterSeed: UInt64)
        -> (x: Tensor, gamma: Tensor, beta: Tensor, reference: LayerNormReference) {
        let xValues = values(rows * width, seed: seed, scale: 3)
        let gValues = values(rows * width, seed: seed + 1)
        let gammaValues = values(width, seed: parameterSeed).map { 1 + $0 / 4 }
        let betaValues = values(width, seed: parameterSeed + 1)
        let x = Tensor(shape: [rows, width], data: xValues, requiresGrad: true)
        let gamma = Tensor(shape: [width], data: gammaValues, requiresGrad: true)
        let beta = Tensor(shape: [width], data: betaValues, requiresGrad: true)
        let y = x.layerNorm(weight: gamma, bias: beta)
        (y * Tensor(shape: [rows, width], data: gValues)).sum().backward()
        let reference = referenceLayerNorm(xValues, gValues, gamma: gammaValues, beta: betaValues, width: width)
        #expect(bitPatterns(y.data) == bitPatterns(reference.y), "rows \(rows), width \(width)")
        #expect(bitPatterns(x.grad!) == bitPatterns(reference.dx), "rows \(rows), width \(width)")
        #expect(bitPatterns(gamma.grad!) == bitPatterns(reference.dGamma), "rows \(rows), width \(width)")
        #expect(bitPatterns(beta.grad!) == bitPatterns(reference.dBeta), "rows \(rows), width \(width)")
        return (x, gamma, beta, reference)
    }

    @Test("layerNorm, forward and backward, for 1 to 9 rows", arguments: [1, 2, 3, 4, 5, 7, 8, 9])
    func layerNorm(rows: Int) {
        for width in [5, 48] {
            let (x, gamma, beta, reference) = RowLoopBitsTests.checkLayerNorm(rows: rows, width: width,
                                                                             seed: UInt64(rows * 100 + width),
                                                                             parameterSeed: 7)
            // The no-graph path (the incremental decoder's layer norm) gives the same values.
            let noGraph = GradientMode.withoutRecording { x.layerNorm(weight: gamma, bias: beta) }
            #expect(bitPatterns(noGraph.data) == bitPatterns(reference.y))
        }
    }

    /// Rows with ordinary values, huge spreads (exponentials that underflow to subnormals and
    /// to zero) and -infinity (a masked entry).
    static func softmaxRows(width: Int) -> [Float] {
        var rows = values(3 * width, seed: UInt64(width), scale: 4)
        rows += (0..<width).map { Float($0) * -90 }
        rows += (0..<width).map { $0 == 0 ? 0 : -705 - Float($0) * 5 }  // e^-710 ... e^-740: subnormal
        rows += (0..<width).map { $0 % 3 == 1 ? -.infinity : Float($0) }
        return rows
    }

    @Test("softmax and logSoftmax, forward and backward", arguments: [1, 3, 8, 13, 16, 62])
    func softmaxRows(width: Int) {
        let xValues = RowLoopBitsTests.softmaxRows(width: width)
        let rows = xValues.count / width
        let gValues = RowLoopBitsTests.values(xValues.count, seed: 99)
        var softmax = [Float](repeating: 0, count: xValues.count), logSoftmax = softmax
        var dSoftmax = softmax, dLogSoftmax = softmax
        for row in 0..<rows {
            let base = row * width
            let slice = Array(xValues[base..<(base + width)])
            let largest = slice.max()!
            var total: Float = 0
            var doubleTotal: Double = 0
            for column in 0..<width {
                let e = PortableMath.exp(slice[column] - largest)
                softmax[base + column] = e
                total += e
                doubleTotal += PortableMath.exp(Double(slice[column] - largest))
            }
            for column in 0..<width { softmax[base + column] /= total }
            let logTotal = Float(PortableMath.log(doubleTotal))
            for column in 0..<width { logSoftmax[base + column] = slice[column] - largest - logTotal }
            var dot: Float = 0, upstreamTotal: Float = 0
            for column in 0..<width {
                dot += gValues[base + column] * softmax[base + column]
                upstreamTotal += gValues[base + column]
            }
            for column in 0..<width {
                dSoftmax[base + column] = softmax[base + column] * (gValues[base + column] - dot)
                dLogSoftmax[base + column] = gValues[base + column]
                    - PortableMath.exp(logSoftmax[base + column]) * upstreamTotal
            }
        }
        let upstream = Tensor(shape: [rows, width], data: gValues)
        let x = Tensor(shape: [rows, width], data: xValues, requiresGrad: true)
        let y = x.softmax()
        (y * upstream).sum().backward()
        #expect(bitPatterns(y.data) == bitPatterns(softmax))
        #expect(bitPatterns(x.grad!) == bitPatterns(dSoftmax))
        let z = Tensor(shape: [rows, width], data: xValues, requiresGrad: true)
        let logY = z.logSoftmax()
        (logY * upstream).sum().backward()
        #expect(bitPatterns(logY.data) == bitPatterns(logSoftmax))
        #expect(bitPatterns(z.grad!) == bitPatterns(dLogSoftmax))
    }

    @Test("affine(weight:bias:) is matmul then the broadcast add, values and gradients",
          arguments: [[2, 3, 5], [7, 48], [1, 1]])
    func affine(shape: [Int]) {
        let (width, outputs) = (shape.last!, 9)
        let count = shape.reduce(1, *)
        let xValues = RowLoopBitsTests.values(count, seed: 3)
        let wValues = RowLoopBitsTests.values(width * outputs, seed: 4)
        let bValues = RowLoopBitsTests.values(outputs, seed: 5)
        let gValues = RowLoopBitsTests.values(count / width * outputs, seed: 6)
        func run(_ fused: Bool) -> [[UInt32]] {
            let x = Tensor(shape: shape, data: xValues, requiresGrad: true)
            let w = Tensor(shape: [width, outputs], data: wValues, requiresGrad: true)
            let b = Tensor(shape: [outputs], data: bValues, requiresGrad: true)
            let y = fused ? x.affine(weight: w, bias: b) : x.matmul(w) + b
            (y * Tensor(shape: y.shape, data: gValues)).sum().backward()
            return [y.data, x.grad!, w.grad!, b.grad!].map(bitPatterns)
        }
        #expect(run(true) == run(false))
    }
}
