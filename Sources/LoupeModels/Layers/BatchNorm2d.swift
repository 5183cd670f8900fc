import LoupeTensor

/// Batch normalisation over channels in inference mode, as `torch.nn.BatchNorm2d` in `eval()`.
public final class BatchNorm2d: Module {
    /// Channels `C`: the length of every parameter.
    public let features: Int
    /// Added to the variance before its square root (PyTorch's `eps`).
    public let epsilon: Float
    /// γ, the per-channel scale, `[C]` (`weight`).
    public let weight: Parameter
    /// β, the per-channel shift, `[C]` (`bias`).
    public let bias: Parameter
    /// μ, the per-channel mean recorded in training, `[C]` (`running_mean`).
    public let runningMean: Parameter
    /// σ², the per-channel variance recorded in training, `[C]` (`running_var`).
    public let runningVariance: Parameter
    /// PyTorch's training counter; loaded if present, never used.
    public let batchesTracked: Parameter

    /// A batch norm over `features` channels, its parameters not yet loaded.
    public init(_ features: Int, epsilon: Float = 1e-5) {
        self.features = features
        self.epsilon = epsilon
        weight = Parameter("weight", shape: [features])
        bias = Parameter("bias", shape: [features])
        runningMean = Parameter("running_mean", shape: [features])
        runningVariance = Parameter("running_var", shape: [features])
        batchesTracked = Parameter("num_batches_tracked", shape: [], optional: true)
    }

    /// `weight`, `bias`, `running_mean`, `running_var` and the optional `num_batches_tracked`.
    public var parameters: [Parameter] { [weight, bias, runningMean, runningVariance, batchesTracked] }

    /// `(x − μ) / √(σ² + ε) · γ + β` per channel of `[N, C, H, W]`, to the same shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.batchNorm(
            mean: runningMean.tensor, variance: runningVariance.tensor,
            weight: weight.tensor, bias: bias.tensor, epsilon: epsilon)
    }

    /// PyTorch's repr, as `BatchNorm2d(64, eps=1e-05)`.
    public var description: String { "BatchNorm2d(\(features), eps=\(epsilon))" }
}
