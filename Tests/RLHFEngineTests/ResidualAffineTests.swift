import Testing
import RLHFEngine

/// `affine(weight:bias:adding:)`, the residual add taken in place by the projection that ends a block's branch,
/// against the plain composition `residual + x.affine(weight:bias:)`: the output and the gradients of x, W, b
/// and the residual, bit for bit, for an upstream gradient with -0 and exact zeros in it (g = -(0 + w), w with
/// zeros).
@Suite("r + (x W + b) in one op matches the add after the affine map bit for bit")
struct ResidualAffineTests {
    /// (rows, depth, columns): small and odd, the default world's c_proj and MLP c_proj shapes, an empty sum.
    static let sizes = [(1, 1, 1), (5, 3, 37), (304, 48, 48), (304, 192, 48), (3, 0, 20)]

    /// Output and gradients (x, W, b, r) of `combine` under loss = ((y * -1) * w).sum(), as bit patterns.
    static func run(_ values: [[Float]], rows: Int, depth: Int, columns: Int,
                    _ combine: (Tensor, Tensor, Tensor, Tensor) -> Tensor) -> [[UInt32]] {
        let x = Tensor(shape: [rows, depth], data: values[0], requiresGrad: true)
        let weight = Tensor(shape: [depth, columns], data: values[1], requiresGrad: true)
        let bias = Tensor(shape: [columns], data: values[2], requiresGrad: true)
        let residual = Tensor(shape: [rows, columns], data: values[3], requiresGrad: true)
        // A residual that is not a leaf (as in the model): its gradient is handed on through a reshape.
        let stream = residual.reshaped([rows, columns])
        let y = combine(x, weight, bias, stream)
        ((y * -1) * Tensor(shape: [rows, columns], data: values[4])).sum().backward()
        return [y.data, x.grad!, weight.grad!, bias.grad!, residual.grad!].map(bitPatterns)
    }

    @Test("output and every gradient", arguments: sizes)
    func residualAffine(size: (Int, Int, Int)) {
        let (rows, depth, columns) = size
        var random = SplitMix64(seed: 1506 &+ UInt64(rows * 7 + columns))
        var upstream = random.floats(rows * columns, -1, 1)
        for index in stride(from: 0, to: upstream.count, by: 4) { upstream[index] = 0 }
        let values = [random.floats(rows * depth, -2, 2), random.floats(depth * columns, -2, 2),
                      random.floats(columns, -2, 2), random.floats(rows * columns, -2, 2), upstream]
        let plain = ResidualAffineTests.run(values, rows: rows, depth: depth, columns: columns) { x, w, b, r in
            r + x.affine(weight: w, bias: b)
        }
        let fused = ResidualAffineTests.run(values, rows: rows, depth: depth, columns: columns) { x, w, b, r in
            x.affine(weight: w, bias: b, adding: r)
        }
        for (part, name) in ["y", "dx", "dW", "db", "dr"].enumerated() {
            #expect(fused[part] == plain[part], "\(name)")
        }
        // The residual's gradient by hand: 0 + g, g = (0 + w) * -1 (-0 where w is 0, +0 after the add).
        #expect(fused[4] == bitPatterns(upstream.map { 0 + (0 + $0) * -1 }))
    }
}
