import LoupeTensor

/// Layer normalisation over the last axis, as `torch.nn.LayerNorm(dimension, eps)`.
public final class LayerNorm: Module {
    /// The length of the last axis, over which each vector is normalised.
    public let dimension: Int
    /// Added to the variance before its square root (PyTorch's `eps`).
    public let epsilon: Float
    /// γ, the elementwise scale, `[dimension]` (`weight`).
    public let weight: Parameter
    /// β, the elementwise shift, `[dimension]` (`bias`).
    public let bias: Parameter

    /// A layer norm over a last axis of length `dimension`, its parameters not yet loaded.
    public init(_ dimension: Int, epsilon: Float = 1e-5) {
        self.dimension = dimension
        self.epsilon = epsilon
        weight = Parameter("weight", shape: [dimension])
        bias = Parameter("bias", shape: [dimension])
    }

    /// `weight` and `bias`.
    public var parameters: [Parameter] { [weight, bias] }

    /// Each vector along the last axis brought to zero mean and unit variance, then `· γ + β`; same shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.layerNorm(normalizedShape: [dimension], weight: weight.tensor, bias: bias.tensor, epsilon: epsilon)
    }

    /// PyTorch's repr, as `LayerNorm((384,), eps=1e-12)`.
    public var description: String { "LayerNorm((\(dimension),), eps=\(epsilon))" }
}
