import LoupeTensor

/// Batch normalisation over channels in inference mode, as `torch.nn.BatchNorm2d` in `eval()`.
public final class BatchNorm2d: Module {
    public let features: Int
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    /// PyTorch's training counter; loaded if present, never used.
    public let batchesTracked: Parameter

    public init(_ features: Int, epsilon: Float = 1e-5) {
        self.features = features
        self.epsilon = epsilon
        weight = Parameter("weight", shape: [features])
        bias = Parameter("bias", shape: [features])
        runningMean = Parameter("running_mean", shape: [features])
        runningVariance = Parameter("running_var", shape: [features])
        batchesTracked = Parameter("num_batches_tracked", shape: [], optional: true)
    }

    public var parameters: [Parameter] { [weight, bias, runningMean, runningVariance, batchesTracked] }

    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.batchNorm(
            mean: runningMean.tensor, variance: runningVariance.tensor,
            weight: weight.tensor, bias: bias.tensor, epsilon: epsilon)
    }

    public var description: String { "BatchNorm2d(\(features), eps=\(epsilon))" }
}
