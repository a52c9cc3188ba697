import Testing
import RLHFEngine

/// The backward of an affine map and of a matrix product runs its two gradient products (dX = G W^T and
/// dW = X^T G) as one two-part job from a size on, each product whole on one thread: the gradients must be
/// the bits of the plain loops, with a parameter used twice accumulating the same way, below and above that
/// size (and with RLHF_THREADS=1, where both parts run on the caller).
@Suite("Paired gradient products match the plain loops bit for bit")
struct PairedGradientBitsTests {
    /// (rows, in, out): below the pair threshold, just above it, and the default world's c_fc and c_proj.
    static let sizes = [(5, 3, 7), (16, 48, 96), (200, 48, 192), (512, 192, 48)]

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
