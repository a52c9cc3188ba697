import RLHFKernels

/// Adam (Kingma and Ba, 2015) as PyTorch's `torch.optim.Adam` computes it, with
/// optional gradient-norm clipping first (`torch.nn.utils.clip_grad_norm_`), except that a step
/// whose gradient norm is not finite is skipped (`step`).
///
/// For each parameter p with gradient g, at step t = 1, 2, ...:
///   m = beta1 m + (1 - beta1) g
///   v = beta2 v + (1 - beta2) g^2
///   m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)
///   p = p - lr * m_hat / (sqrt(v_hat) + eps)
/// Epsilon is added *after* the square root of the bias-corrected v, where PyTorch
/// puts it. Clipping: when the global norm ||g|| = sqrt(sum of all g^2) exceeds
/// `maxGradNorm`, every gradient is scaled by maxGradNorm / (||g|| + 1e-6).
public final class Adam {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// Clip the global gradient norm to this; nil for no clipping.
    public var maxGradNorm: Float?
    public private(set) var stepCount = 0
    /// The tensors stepped, each once (`distinct` of those given).
    public let parameters: [Tensor]
    /// m and v of each parameter, as raw buffers, so that the two threads of a step each write
    /// their own parameters' moments without sharing an array.
    private let firstMoments: [UnsafeMutablePointer<Float>]
    private let secondMoments: [UnsafeMutablePointer<Float>]
    /// Parameters 0..<cut are stepped on one thread and cut..<count on the other (about half the
    /// values each). The cut depends only on the parameters' sizes, and each value's update is
    /// computed on its own, so a step gives the same bits on one thread or two.
    private let cut: Int
    /// With fewer values than this in all, a step stays on the calling thread.
    static let minimumParallelValues = 16_384

    public init(parameters: [Tensor], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, maxGradNorm: Float? = 1.0) {
        let parameters = Adam.distinct(parameters)
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.maxGradNorm = maxGradNorm
        func zeros(_ count: Int) -> UnsafeMutablePointer<Float> {
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
            buffer.initialize(repeating: 0, count: Swift.max(count, 1))
            return buffer
        }
        firstMoments = parameters.map { zeros($0.count) }
        secondMoments = parameters.map { zeros($0.count) }
        let total = parameters.reduce(0) { $0 + $1.count }
        var cut = 0, before = 0
        while cut < parameters.count && 2 * (before + parameters[cut].count) <= total {
            before += parameters[cut].count
            cut += 1
        }
        // The next parameter too when that leaves the halves nearer equal (the caller's half, which starts first,
        // then the larger): at d48 L2 the first half was 23.5k of 61k values and the caller waited ~30 µs a step
        // for the worker's (a private build's timings).
        if cut + 1 < parameters.count && 2 * (before + parameters[cut].count) - total < total - 2 * before {
            cut += 1
        }
        // A first parameter past half of all values is the first half alone, so that both halves have work.
        self.cut = total >= Adam.minimumParallelValues ? max(cut, 1) : parameters.count
    }

    /// `parameters` with each tensor once (by identity), in the order of first appearance: a tensor listed
    /// twice (a weight shared by two layers) gets one m and one v, counts once in the gradient norm and is
    /// stepped once per step, not twice.
    public static func distinct(_ parameters: [Tensor]) -> [Tensor] {
        var seen = Set<ObjectIdentifier>()
        return parameters.filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    deinit {
        for buffer in firstMoments + secondMoments { buffer.deallocate() }
    }

    /// The global L2 norm of all current gradients (missing gradients count as zero).
    public func gradientNorm() -> Float {
        // sqrt of one Double chain of g^2 in parameter order, found without the chain where provable.
        GradientNorm.fast(parameters.compactMap(\.grad))
    }

    /// Clips, takes one Adam step on every parameter, and clears the gradients. A gradient whose norm is
    /// not finite (a nan or inf in it, or a norm past Float's largest value) is dropped instead: the
    /// parameters, moments and step count stay as they were, as a mixed-precision loss scaler skips such
    /// a step. PyTorch would step: with clipping, a nan norm turns every parameter to nan (and an inf one
    /// scales the gradient to 0); without it, the parameters with a nan gradient.
    /// - Returns: the gradient norm before clipping.
    @discardableResult
    public func step() -> Float {
        let norm = gradientNorm()
        guard norm.isFinite else {
            for parameter in parameters { parameter.grad = nil }
            return norm
        }
        var scale: Float = 1
        if let maxGradNorm, norm > maxGradNorm { scale = maxGradNorm / (norm + 1e-6) }
        stepCount += 1
        // beta^t by repeated multiplication in Double: exact enough and the same everywhere.
        var power1 = 1.0, power2 = 1.0
        for _ in 0..<stepCount { power1 *= Double(beta1); power2 *= Double(beta2) }
        let constants = StepConstants(scale: scale, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                      learningRate: learningRate, correction1: Float(1 - power1),
                                      correction2: Float(1 - power2))
        let count = parameters.count
        if cut < count {
            WorkerPool.runTwo { part in
                for index in part == 0 ? 0..<cut : cut..<count { update(index, constants) }
            }
        } else {
            for index in 0..<count { update(index, constants) }
        }
        return norm
    }

    /// What every value's update needs besides its own gradient, moments and value.
    private struct StepConstants {
        let scale: Float, beta1: Float, beta2: Float, epsilon: Float, learningRate: Float
        let correction1: Float, correction2: Float
    }

    /// One parameter's step (nothing when it has no gradient), then its gradient cleared.
    private func update(_ index: Int, _ constants: StepConstants) {
        let parameter = parameters[index]
        guard let grad = parameter.grad else { return }
        let (scale, beta1, beta2, epsilon) = (constants.scale, constants.beta1, constants.beta2, constants.epsilon)
        let (learningRate, correction1, correction2) = (constants.learningRate, constants.correction1,
                                                        constants.correction2)
        let (first, second) = (firstMoments[index], secondMoments[index])
        // The same arithmetic per value as the plain loop, on raw buffers (no copies,
        // no exclusivity checks per element).
        grad.withUnsafeBufferPointer { gradient in
            parameter.data.withUnsafeMutableBufferPointer { values in
                // The same operations in AVX2 / AVX-512 Float lanes where the selected kernel has them.
                let laneConstants = [scale, beta1, beta2, epsilon, learningRate, correction1, correction2]
                if gradient.count > 0
                    && rlhf_adam(MatrixKernel.selected.rawValue, gradient.baseAddress!, first, second,
                                 values.baseAddress!, gradient.count, laneConstants) != 0 {
                    return
                }
                // Eight values at a time: every lane does the same IEEE operations
                // (multiply, add, divide, square root) as the scalar loop below.
                var position = 0
                let count = gradient.count
                while position + 8 <= count {
                    let g = UnsafeRawPointer(gradient.baseAddress! + position)
                        .loadUnaligned(as: SIMD8<Float>.self) * scale
                    let m = beta1 * UnsafeRawPointer(first + position).loadUnaligned(as: SIMD8<Float>.self)
                        + (1 - beta1) * g
                    let v = beta2 * UnsafeRawPointer(second + position).loadUnaligned(as: SIMD8<Float>.self)
                        + (1 - beta2) * g * g
                    UnsafeMutableRawPointer(first + position).storeBytes(of: m, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(second + position).storeBytes(of: v, as: SIMD8<Float>.self)
                    let mHat = m / correction1
                    let vHat = v / correction2
                    let p = UnsafeRawPointer(values.baseAddress! + position).loadUnaligned(as: SIMD8<Float>.self)
                    let updated = p - learningRate * mHat / (vHat.squareRoot() + epsilon)
                    UnsafeMutableRawPointer(values.baseAddress! + position)
                        .storeBytes(of: updated, as: SIMD8<Float>.self)
                    position += 8
                }
                for position in position..<count {
                    let g = gradient[position] * scale
                    first[position] = beta1 * first[position] + (1 - beta1) * g
                    second[position] = beta2 * second[position] + (1 - beta2) * g * g
                    let mHat = first[position] / correction1
                    let vHat = second[position] / correction2
                    values[position] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
                }
            }
        }
        parameter.grad = nil
    }

    /// Clears every gradient without stepping.
    public func zeroGrad() {
        for parameter in parameters { parameter.grad = nil }
    }
}

extension Adam {
    /// One step of `kernel`'s Adam lanes on raw values, for tests that compare them with the per-value
    /// formula: `constants` is {scale, beta1, beta2, epsilon, learningRate, correction1, correction2}.
    /// - Returns: false (changing nothing) when `kernel` has no such lanes here.
    public static func laneStep(gradient: [Float], first: inout [Float], second: inout [Float], values: inout [Float],
                                constants: [Float], kernel: MatrixKernel) -> Bool {
        precondition(first.count == gradient.count && second.count == gradient.count
                     && values.count == gradient.count && constants.count == 7)
        return rlhf_adam(kernel.rawValue, gradient, &first, &second, &values, gradient.count, constants) != 0
    }
}
