import Testing
import RLHFEngine

/// The backward of an affine map and of a matrix product runs its two gradient products (dX = G W^T and
/// dW = X^T G) as one two-part job from a size on, each product whole on one thread: the gradients must be
/// the bits of the plain loops, with a parameter used twice accumulating the same way, below and above that
/// size. (ProductGradientsOverwriteTests below checks the products on the caller alone too.)
@Suite("Paired gradient products match the plain loops bit for bit")
struct PairedGradientBitsTests {
    /// (rows, in, out): below the pair threshold, with column tails below and above it, and the default world's
    /// c_fc and c_proj.
    static let sizes = [(5, 3, 7), (9, 5, 37), (16, 48, 96), (40, 48, 50), (200, 48, 192), (512, 192, 48)]

    @Test("affine: input, weight and bias gradients, the weight and bias used twice", arguments: sizes)
    func affine(size: (Int, Int, Int)) {
        let (rows, k, n) = size
        var random = SplitMix64(seed: 1501 &+ UInt64(rows))
        let first = random.tensor([rows, k], -2, 2)
        let second = random.tensor([rows, k], -2, 2)
        let weight = random.tensor([k, n], -2, 2)
        let bias = random.tensor([n], -2, 2)
        let firstUpstream = random.floats(rows * n, -2, 2)
        let secondUpstream = random.floats(rows * n, -2, 2)
        // L = sum(c1 * affine(x1)) + sum(c2 * affine(x2)): the affines' upstream gradients are c1 and c2.
        let loss = (first.affine(weight: weight, bias: bias) * Tensor(shape: [rows, n], data: firstUpstream)).sum()
            + (second.affine(weight: weight, bias: bias) * Tensor(shape: [rows, n], data: secondUpstream)).sum()
        loss.backward()
        let zerosIn = [Float](repeating: 0, count: rows * k), zerosWeight = [Float](repeating: 0, count: k * n)
        func inputGradient(_ upstream: [Float]) -> [Float] {
            MatrixKernelCheck.multiplyTransposedRight(upstream, weight.data, m: rows, n: n, k: k, initial: zerosIn,
                                                      kernel: .reference)
        }
        func weightGradient(_ input: Tensor, _ upstream: [Float]) -> [Float] {
            MatrixKernelCheck.multiplyTransposedLeft(input.data, upstream, m: rows, k: k, n: n,
                                                     initial: zerosWeight, kernel: .reference)
        }
        func biasGradient(_ upstream: [Float]) -> [Float] {
            var sums = [Float](repeating: 0, count: n)
            for row in 0..<rows { for column in 0..<n { sums[column] += upstream[row * n + column] } }
            return sums
        }
        #expect(bitPatterns(first.grad!) == bitPatterns(inputGradient(firstUpstream)))
        #expect(bitPatterns(second.grad!) == bitPatterns(inputGradient(secondUpstream)))
        // Two terms: their sum is the same bits in either order.
        let weightSum = zip(weightGradient(first, firstUpstream), weightGradient(second, secondUpstream)).map(+)
        #expect(bitPatterns(weight.grad!) == bitPatterns(weightSum))
        #expect(bitPatterns(bias.grad!) == bitPatterns(zip(biasGradient(firstUpstream),
                                                           biasGradient(secondUpstream)).map(+)))
    }

    @Test("matmul with a shared right side: both gradients", arguments: sizes)
    func matmul(size: (Int, Int, Int)) {
        let (rows, k, n) = size
        var random = SplitMix64(seed: 1502 &+ UInt64(rows))
        let left = random.tensor([2, rows, k], -2, 2)
        let right = random.tensor([k, n], -2, 2)
        let upstream = random.floats(2 * rows * n, -2, 2)
        (left.matmul(right) * Tensor(shape: [2, rows, n], data: upstream)).sum().backward()
        #expect(bitPatterns(left.grad!)
                == bitPatterns(MatrixKernelCheck.multiplyTransposedRight(
                    upstream, right.data, m: 2 * rows, n: n, k: k,
                    initial: [Float](repeating: 0, count: 2 * rows * k), kernel: .reference)))
        #expect(bitPatterns(right.grad!)
                == bitPatterns(MatrixKernelCheck.multiplyTransposedLeft(
                    left.data, upstream, m: 2 * rows, k: k, n: n,
                    initial: [Float](repeating: 0, count: k * n), kernel: .reference)))
    }
}

/// `productGradients` itself, in every available kernel, on the caller alone and paired (from the pair size the
/// chunks of both products and the bias sums in one job): outputs that start as NaN must come out as the plain
/// loops' sums from zero, so no product may read what it overwrites.
@Suite("Gradient products overwrite their outputs with the plain loops' bits")
struct ProductGradientsOverwriteTests {
    /// (rows, depth, columns): below the pair size, SIMD tails, above it, the default world's shapes (c_attn,
    /// c_proj, the head's 62 columns), products whose two halves are cut into unequal numbers of chunks, and a
    /// dB of few rows with more panels than its chunks (10 panels in 8: the chunks handed out longest first).
    static let sizes = [(1, 1, 1), (9, 5, 37), (40, 48, 50), (200, 48, 192), (512, 192, 48), (33, 17, 130),
                        (608, 48, 144), (304, 48, 62), (20, 300, 40), (700, 96, 17), (130, 48, 300),
                        (192, 48, 48)]

    @Test("dA = G B^T and dB = A^T G from NaN-filled outputs", arguments: sizes)
    func overwrite(size: (Int, Int, Int)) {
        let (rows, depth, columns) = size
        var random = SplitMix64(seed: 1503 &+ UInt64(rows * 7 + columns))
        let upstream = random.floats(rows * columns, -2, 2)
        let left = random.floats(rows * depth, -2, 2)
        let right = random.floats(depth * columns, -2, 2)
        let expectedLeft = MatrixKernelCheck.multiplyTransposedRight(
            upstream, right, m: rows, n: columns, k: depth, initial: [Float](repeating: 0, count: rows * depth),
            kernel: .reference)
        let expectedRight = MatrixKernelCheck.multiplyTransposedLeft(
            left, upstream, m: rows, k: depth, n: columns, initial: [Float](repeating: 0, count: depth * columns),
            kernel: .reference)
        var expectedSums = [Float](repeating: 0, count: columns)
        for row in 0..<rows { for column in 0..<columns { expectedSums[column] += upstream[row * columns + column] } }
        for kernel in MatrixKernel.available {
            for onCallerOnly in [false, true] {
                let (dA, dB, sums) = MatrixKernelCheck.productGradients(
                    upstream: upstream, left: left, right: right, rows: rows, depth: depth, columns: columns,
                    kernel: kernel, onCallerOnly: onCallerOnly)
                #expect(bitPatterns(dA) == bitPatterns(expectedLeft), "\(kernel) caller only: \(onCallerOnly)")
                #expect(bitPatterns(dB) == bitPatterns(expectedRight), "\(kernel) caller only: \(onCallerOnly)")
                #expect(bitPatterns(sums) == bitPatterns(expectedSums), "\(kernel) caller only: \(onCallerOnly)")
            }
        }
    }
}

/// The affine map's bias added inside the product's chunks (`FastMatrixKernels.multiply(bias:)`): y = x W + b
/// must be the bits of the plain product followed by the add row by row, in every kernel, on one thread and
/// split over two (by rows, and by panels of columns for fewer than 16 rows), from NaN-filled outputs.
@Suite("The affine map's fused bias matches the product then the add bit for bit")
struct FusedBiasBitsTests {
    /// (rows, depth, columns): column tails, fewer than 16 rows (split by panels), an empty sum, a sum over
    /// several depth blocks, and the default world's c_attn, c_fc, c_proj and head shapes.
    static let sizes = [(1, 1, 1), (5, 3, 37), (9, 48, 144), (3, 0, 20), (40, 200, 50), (304, 48, 144),
                        (304, 48, 192), (304, 192, 48), (608, 48, 62), (33, 17, 130)]

    @Test("y = x W + b", arguments: sizes)
    func affine(size: (Int, Int, Int)) {
        let (rows, depth, columns) = size
        var random = SplitMix64(seed: 1504 &+ UInt64(rows * 11 + columns))
        let x = random.floats(rows * depth, -2, 2)
        let weight = random.floats(depth * columns, -2, 2)
        var bias = random.floats(columns, -2, 2)
        bias[0] = -0.0  // 0 + -0 is +0: a bias added to an empty sum must still round the same way
        let expected = MatrixKernelCheck.affine(x, weight, bias: bias, rows: rows, depth: depth, columns: columns,
                                                kernel: .reference)
        var kernels: [MatrixKernelCheck.Kernel] = [.fast]
        for kernel in MatrixKernel.available { kernels += [.single(kernel), .split(kernel)] }
        for kernel in kernels {
            let y = MatrixKernelCheck.affine(x, weight, bias: bias, rows: rows, depth: depth, columns: columns,
                                             kernel: kernel)
            #expect(bitPatterns(y) == bitPatterns(expected), "\(kernel)")
        }
    }
}

/// A^T B whose A is copied into strips (64 rows and 64 terms or more, and 4 panels of columns or more: 128
/// columns with AVX-512, 64 with AVX2), and the same with too few columns for the strips, on every kernel, on
/// one thread and split: the bits of the plain loops either way.
@Suite("A^T B with and without A's strips matches the plain loops bit for bit")
struct TransposedLeftStripsTests {
    /// (m terms, k rows, n columns): the default world's c_proj gradient (two AVX-512 panels: read in place),
    /// wide ones with strips, and one whose A is also taken 192 rows at a time.
    static let sizes = [(608, 192, 48), (300, 192, 160), (97, 70, 130), (700, 455, 140), (384, 96, 384)]

    @Test("C = initial + A^T B", arguments: sizes)
    func transposedLeft(size: (Int, Int, Int)) {
        let (m, k, n) = size
        var random = SplitMix64(seed: 1505 &+ UInt64(m * 3 + n))
        let a = random.floats(m * k, -2, 2), b = random.floats(m * n, -2, 2), initial = random.floats(k * n, -1, 1)
        let expected = MatrixKernelCheck.multiplyTransposedLeft(a, b, m: m, k: k, n: n, initial: initial,
                                                                kernel: .reference)
        for kernel in MatrixKernel.available {
            for check in [MatrixKernelCheck.Kernel.single(kernel), .split(kernel)] {
                let c = MatrixKernelCheck.multiplyTransposedLeft(a, b, m: m, k: k, n: n, initial: initial,
                                                                 kernel: check)
                #expect(bitPatterns(c) == bitPatterns(expected), "\(check)")
            }
        }
    }
}
