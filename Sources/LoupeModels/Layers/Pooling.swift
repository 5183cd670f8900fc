import LoupeTensor

/// `torch.nn.MaxPool2d`.
public final class MaxPool2d: Module {
    public let kernelSize: Int, stride: Int, padding: Int, ceilMode: Bool
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        (self.kernelSize, self.stride, self.padding, self.ceilMode) = (kernelSize, stride ?? kernelSize, padding, ceilMode)
    }
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.maxPool2d(kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding), ceilMode: ceilMode)
    }
    public var description: String {
        "MaxPool2d(kernel_size=\(kernelSize), stride=\(stride), padding=\(padding), ceil_mode=\(ceilMode ? "True" : "False"))"
    }
}

/// `torch.nn.AdaptiveAvgPool2d`.
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int, Int)
    public init(_ outputSize: (Int, Int)) { self.outputSize = outputSize }
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.adaptiveAvgPool2d(outputSize: outputSize)
    }
    public var description: String { "AdaptiveAvgPool2d(output_size=(\(outputSize.0), \(outputSize.1)))" }
}
