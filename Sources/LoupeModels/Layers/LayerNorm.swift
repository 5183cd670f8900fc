import LoupeTensor

/// Layer normalisation over the last axis, as `torch.nn.LayerNorm(dimension, eps)`.
public final class LayerNorm: Module {
    public let dimension: Int
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter

    public init(_ dimension: Int, epsilon: Float = 1e-5) {
        self.dimension = dimension
        self.epsilon = epsilon
        weight = Parameter("weight", shape: [dimension])
        bias = Parameter("bias", shape: [dimension])
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.layerNorm(normalizedShape: [dimension], weight: weight.tensor, bias: bias.tensor, epsilon: epsilon)
    }

    public var description: String { "LayerNorm((\(dimension),), eps=\(epsilon))" }
}
