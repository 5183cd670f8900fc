import LoupeTensor

/// A fully connected layer, as `torch.nn.Linear`: weight `[out, in]`, optional bias `[out]`.
public final class Linear: Module {
    public let inputFeatures: Int
    public let outputFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true) {
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = Parameter("weight", shape: [outputFeatures, inputFeatures])
        self.bias = bias ? Parameter("bias", shape: [outputFeatures]) : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.linear(weight: weight.tensor, bias: bias?.tensor)
    }

    public var description: String {
        "Linear(in_features=\(inputFeatures), out_features=\(outputFeatures), bias=\(bias == nil ? "False" : "True"))"
    }
}
