import Testing
import RLHFEngine

@Suite("Gradients: matmul")
struct MatMulGradientTests {
    @Test("2-D by 2-D: (M,K) x (K,N)")
    func plain() {
        var random = SplitMix64(seed: 31)
        let a = random.tensor([3, 4])
        let b = random.tensor([4, 5])
        expectGradientsMatch([a, b]) { $0[0].matmul($0[1]) }
    }

    @Test("batched with a shared weight: (B,M,K) x (K,N)")
    func sharedWeight() {
        var random = SplitMix64(seed: 32)
        let a = random.tensor([2, 3, 4])
        let w = random.tensor([4, 5])
        expectGradientsMatch([a, w]) { $0[0].matmul($0[1]) }
    }

    @Test("batched on both sides: (B,H,M,K) x (B,H,K,N)")
    func batchedBothSides() {
        var random = SplitMix64(seed: 33)
        let a = random.tensor([2, 3, 4, 2])
        let b = random.tensor([2, 3, 2, 3])
        expectGradientsMatch([a, b]) { $0[0].matmul($0[1]) }
    }

    @Test("attention-style q k^T with a transposed operand")
    func withTranspose() {
        var random = SplitMix64(seed: 34)
        let q = random.tensor([2, 2, 3, 4])
        let k = random.tensor([2, 2, 3, 4])
        expectGradientsMatch([q, k]) { $0[0].matmul($0[1].transposed(-2, -1)) }
    }
}
