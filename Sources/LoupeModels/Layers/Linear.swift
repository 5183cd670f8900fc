import LoupeTensor

/// A fully connected layer, as `torch.nn.Linear`: weight `[out, in]`, optional bias `[out]`.
public final class Linear: Module {
    /// The length of each input vector.
    public let inputFeatures: Int
    /// The length of each output vector.
    public let outputFeatures: Int
    /// `[outputFeatures, inputFeatures]` (`weight`).
    public let weight: Parameter
    /// `[outputFeatures]` (`bias`), or `nil` for `bias=False`.
    public let bias: Parameter?

    /// A layer from `inputFeatures` to `outputFeatures`, with a bias unless `bias` is false; parameters not yet loaded.
    public init(_ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true) {
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = Parameter("weight", shape: [outputFeatures, inputFeatures])
        self.bias = bias ? Parameter("bias", shape: [outputFeatures]) : nil
    }

    /// `weight`, then `bias` when there is one.
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// `x·Wᵀ + b` over the last axis: `[…, inputFeatures]` to `[…, outputFeatures]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.linear(weight: weight.tensor, bias: bias?.tensor)
    }

    /// PyTorch's repr, as `Linear(in_features=1280, out_features=1000, bias=True)`.
    public var description: String {
        "Linear(in_features=\(inputFeatures), out_features=\(outputFeatures), bias=\(bias == nil ? "False" : "True"))"
    }
}
