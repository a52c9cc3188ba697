import Testing
import RLHFEngine

/// Every matrix kernel this processor can run (portable, AVX2, AVX-512, NEON), on one thread
/// and split between the two threads of the worker pool, against the plain loops, bit for bit.
@Suite("Run-time chosen kernels, on one thread and on two, give the plain loops' bits")
struct RuntimeKernelTests {
    /// Random shapes with odd sizes and tails of every width, and a few of the update's own.
    static func shapes() -> [(Int, Int, Int)] {
        var random = SplitMix64(seed: 907)
        var shapes: [(Int, Int, Int)] = [(1, 1, 1), (16, 3, 16), (192, 48, 144), (192, 192, 48), (48, 192, 62),
                                         (33, 0, 40), (8, 65, 31),
                                         // A B^T summing over n: whole 16 x 16 blocks of B^T's packing and tails
                                         (24, 97, 80), (3, 33, 16), (50, 64, 47)]
        for _ in 0..<24 {
            shapes.append((1 + Int(random.next() % 70), Int(random.next() % 60), 1 + Int(random.next() % 90)))
        }
        return shapes
    }

    static var kernels: [MatrixKernelCheck.Kernel] {
        MatrixKernel.available.flatMap { [MatrixKernelCheck.Kernel.single($0), .split($0)] } + [.fast]
    }

    @Test("the portable kernel is always available and one kernel is selected")
    func selection() {
        #expect(MatrixKernel.portable.isAvailable)
        #expect(MatrixKernel.selected.isAvailable)
        #expect(MatrixKernel.available.first == .portable)
    }

    /// The four products of one shape on fresh random operands, by a kernel: A B, initial + A B,
    /// initial + G B^T and initial + A^T G, as bit patterns.
    static func products(m: Int, k: Int, n: Int, random: inout SplitMix64)
        -> (MatrixKernelCheck.Kernel) -> [[UInt32]] {
        let a = random.floats(m * k, -2, 2)
        let b = random.floats(k * n, -2, 2)
        let initial = random.floats(m * n, -1, 1)
        let gradient = random.floats(m * n, -2, 2)
        let startRight = random.floats(m * k, -1, 1)
        let startLeft = random.floats(k * n, -1, 1)
        return { kernel in
            [MatrixKernelCheck.multiply(a, b, m: m, k: k, n: n, kernel: kernel),
             MatrixKernelCheck.multiply(a, b, m: m, k: k, n: n, initial: initial, kernel: kernel),
             MatrixKernelCheck.multiplyTransposedRight(gradient, b, m: m, n: n, k: k, initial: startRight,
                                                       kernel: kernel),
             MatrixKernelCheck.multiplyTransposedLeft(a, gradient, m: m, k: k, n: n, initial: startLeft,
                                                      kernel: kernel)].map(bitPatterns)
        }
    }

    /// Every kernel, on one thread and split, gives the plain loops' bits for `products`.
    static func expectEveryKernelAgrees(_ products: (MatrixKernelCheck.Kernel) -> [[UInt32]], _ shape: String) {
        let reference = products(.reference)
        for kernel in RuntimeKernelTests.kernels {
            #expect(products(kernel) == reference, "\(kernel) on \(shape)")
        }
    }

    @Test("A B, A B^T and A^T B, fresh and accumulating, by every kernel both ways")
    func everyKernel() {
        var random = SplitMix64(seed: 908)
        for (m, k, n) in RuntimeKernelTests.shapes() {
            let products = RuntimeKernelTests.products(m: m, k: k, n: n, random: &random)
            RuntimeKernelTests.expectEveryKernelAgrees(products, "\(m)x\(k)x\(n)")
        }
    }

    @Test("shapes whose sums run over several depth blocks and whose columns fill several panels")
    func depthBlocks() {
        var random = SplitMix64(seed: 910)
        for (m, k, n) in [(20, 193, 70), (9, 400, 33), (40, 385, 100), (3, 1000, 5), (17, 576, 65), (64, 400, 45),
                          (100, 193, 20)] {
            let four = RuntimeKernelTests.products(m: m, k: k, n: n, random: &random)
            // With k and m swapped too, so that A^T B and A B^T also sum over more than one block.
            let (a, b) = (random.floats(m * k, -2, 2), random.floats(k * n, -2, 2))
            let (wideA, wideGradient) = (random.floats(k * m, -2, 2), random.floats(k * n, -2, 2))
            RuntimeKernelTests.expectEveryKernelAgrees({ kernel in
                four(kernel) + [
                    MatrixKernelCheck.multiplyTransposedRight(a, b, m: m, n: k, k: n,
                                                              initial: [Float](repeating: 0.5, count: m * n),
                                                              kernel: kernel),
                    MatrixKernelCheck.multiplyTransposedLeft(wideA, wideGradient, m: k, k: m, n: n,
                                                             initial: [Float](repeating: -0.0, count: m * n),
                                                             kernel: kernel)].map(bitPatterns)
            }, "\(m)x\(k)x\(n)")
        }
    }

    @Test("A^T B of 64 rows or more summing 64 terms or more: A copied into strips of 8 (4 with AVX2), 4 and 1 rows")
    func packedTransposedLeft() {
        var random = SplitMix64(seed: 912)
        // C (k x n) = initial + A^T G: k rows of C, m terms per sum; row counts with 4-row and 1-row strips. Strips
        // need 4 panels of columns or more (n > 48 with AVX2, n > 96 with AVX-512): (65, 69, 100), (66, 70, 130) and
        // (80, 99, 129) leave 1, 2 and 3 rows past AVX2's 4-row strips. (80, 200, 100): 200 rows in strips, which
        // 64-row chunks would cut in three, planned in two (96 + 104 rows with AVX-512, 100 + 100 with AVX2): the
        // bits of that cut (which thread runs a chunk, and how many chunks there are, change none).
        for (m, k, n) in [(64, 64, 33), (65, 69, 100), (200, 77, 40), (700, 134, 17), (97, 193, 64), (64, 1000, 5),
                          (66, 70, 130), (80, 99, 129), (80, 200, 100)] {
            let (a, gradient) = (random.floats(m * k, -2, 2), random.floats(m * n, -2, 2))
            let initial = random.floats(k * n, -1, 1)
            RuntimeKernelTests.expectEveryKernelAgrees({ kernel in
                [bitPatterns(MatrixKernelCheck.multiplyTransposedLeft(a, gradient, m: m, k: k, n: n, initial: initial,
                                                                      kernel: kernel))]
            }, "A^T B \(m)x\(k)x\(n)")
        }
    }

    @Test("products whose A holds more than 2^17 floats: A taken 192 rows at a time, the last chunk shorter")
    func rowChunks() {
        var random = SplitMix64(seed: 913)
        // (m, k, n): A B has m rows of k terms and A^T B k rows of m terms, both chunked here:
        // (2048, 200, 40) A B in 10 x 192 + 128, A^T B in 192 + 8; (1100, 150, 20) A B in 5 x 192 + 140;
        // (700, 405, 20) A B in 3 x 192 + 124, A^T B in 192 + 192 + 21 (the last, under 64 rows, read in place);
        // (700, 455, 130) A^T B in 192 + 192 + 71, A copied into strips (9 panels of columns with AVX2, 5 with
        // AVX-512): of 8 or 4, then 4 and 1, in the last.
        for (m, k, n) in [(2048, 200, 40), (1100, 150, 20), (700, 405, 20), (700, 455, 130)] {
            let products = RuntimeKernelTests.products(m: m, k: k, n: n, random: &random)
            RuntimeKernelTests.expectEveryKernelAgrees(products, "chunked \(m)x\(k)x\(n)")
        }
    }

    @Test("GELU and its gradient on arrays large enough to be split over two threads, value by value")
    func splitGelu() {
        var random = SplitMix64(seed: 909)
        let values = random.floats(3 * 8192 + 5, -6, 6)
        let x = Tensor(shape: [values.count], data: values, requiresGrad: true)
        let y = x.gelu()
        y.sum().backward()
        #expect(bitPatterns(y.data) == bitPatterns(values.map(FastPortableMath.gelu)))
        #expect(bitPatterns(x.grad!) == bitPatterns(values.map { 1 * FastPortableMath.geluDerivative($0) }))
    }

    @Test("the GELU lanes of every kernel that has them, on special values and every tail length")
    func geluLanes() {
        let special: [Float] = [0, -0, 1e-30, -1e-30, 1e-5, -1e-5, 0.5, -3, 9, -9, 30, -30, 1e30, -1e30,
                                .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.leastNormalMagnitude,
                                .greatestFiniteMagnitude]
        var random = SplitMix64(seed: 911)
        var checked = 0
        for kernel in MatrixKernel.allCases where kernel.isAvailable {
            // Eight floats a block, four blocks at a time from 32: every tail of both loops.
            for length in Array(1...17) + [special.count, 31, 32, 33, 40, 63, 64, 71] {
                let x = (0..<length).map { special[($0 * 7 + length) % special.count] }
                let upstream = random.floats(length, -2, 2)
                guard let lanes = MatrixKernelCheck.geluLanes(x, upstream: upstream, kernel: kernel) else { break }
                #expect(bitPatterns(lanes.y) == bitPatterns(x.map(FastPortableMath.gelu)), "\(kernel), \(length)")
                let expected = zip(x, upstream).map { $1 * FastPortableMath.geluDerivative($0) }
                #expect(bitPatterns(lanes.dx) == bitPatterns(expected), "\(kernel) backward, \(length)")
                checked += 1
            }
        }
        // Where the processor has AVX2 or AVX-512 (x86-64 here), their lanes must have been checked.
        #expect(checked > 0 || !MatrixKernel.allCases.contains { [.avx2, .avx512].contains($0) && $0.isAvailable })
    }
}
