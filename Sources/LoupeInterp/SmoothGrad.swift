import LoupeTensor

extension Attributor {
    /// SmoothGrad, as Captum's `NoiseTunnel(Saliency)` with `nt_type="smoothgrad"`: the mean of
    /// the saliency maps of `samples` noisy copies of the input.
    ///
    /// From Smilkov et al. 2017, <https://arxiv.org/abs/1706.03825>.
    ///
    /// - Parameters:
    ///   - input: `[1, 3, H, W]`, normalised.
    ///   - target: What is explained.
    ///   - samples: Noisy copies averaged, 1…1024.
    ///   - noiseLevel: The standard deviation of the Gaussian noise, in normalised input units
    ///     (Captum's `stdevs`, default 1).
    ///   - seed: Seeds the noise.
    ///   - signed: Average the signed gradients instead of their absolute values.
    ///   - noise: Noise to use instead, `samples × 3 × H × W` values (for parity with Captum).
    /// - Returns: The mean map, `[1, 3, H, W]` like the input.
    /// - Throws: ``InterpError/invalidParameter(_:)`` for `samples` or `noiseLevel` out of range,
    ///   ``InterpError/noiseShape(expected:found:)`` for given noise of the wrong size; the
    ///   model's errors.
    public func smoothGrad(
        _ input: Tensor, target: ResolvedTarget, samples: Int = 5, noiseLevel: Float = 1, seed: UInt64 = 0,
        signed: Bool = false, noise: [Float]? = nil
    ) throws -> Attribution {
        guard samples >= 1, samples <= 1024 else { throw InterpError.invalidParameter("samples must be 1…1024, found \(samples)") }
        guard noiseLevel >= 0, noiseLevel.isFinite else {
            throw InterpError.invalidParameter("the noise level must be ≥ 0, found \(noiseLevel)")
        }
        var batchShape = input.shape
        batchShape[0] = samples
        let perturbation: Tensor
        if let noise {
            guard noise.count == batchShape.reduce(1, *) else {
                throw InterpError.noiseShape(expected: [samples, 1] + Array(input.shape.dropFirst()), found: [noise.count])
            }
            perturbation = try Tensor(shape: batchShape, scalars: noise)
        } else {
            var generator = SplitMix64(seed: seed)
            perturbation = try Tensor.randomNormal(batchShape, standardDeviation: noiseLevel, using: &generator)
        }
        let noisy = try Self.repeated(input, samples) + perturbation
        let gradients = try objective(noisy, target: target, gradient: true).gradient?.scalars ?? []
        let plane = input.count
        var mean = [Float](repeating: 0, count: plane)
        for s in 0..<samples {
            for i in 0..<plane {
                let g = gradients[s * plane + i]
                mean[i] += signed ? g : Swift.abs(g)
            }
        }
        let scale = 1 / Float(samples)
        return Attribution(
            values: mean.map { $0 * scale }, shape: input.shape,
            method: "SmoothGrad, \(samples) samples, noise σ \(noiseLevel)", target: target, isSigned: signed)
    }
}
