import LoupeTensor

/// `torch.nn.MaxPool2d`.
public final class MaxPool2d: Module {
    public let kernelSize: Int, stride: Int, padding: Int, ceilMode: Bool
    /// Square windows of `kernelSize` pixels, `stride` apart (the kernel size by default), over
    /// the input padded by `padding`; `ceilMode` rounds the output size up (PyTorch's `ceil_mode`).
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        (self.kernelSize, self.stride, self.padding, self.ceilMode) = (kernelSize, stride ?? kernelSize, padding, ceilMode)
    }
    /// The maximum of each window: `[N, C, H, W]` to `[N, C, H′, W′]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.maxPool2d(kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding), ceilMode: ceilMode)
    }
    /// PyTorch's repr, as `MaxPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=False)`.
    public var description: String {
        "MaxPool2d(kernel_size=\(kernelSize), stride=\(stride), padding=\(padding), ceil_mode=\(ceilMode ? "True" : "False"))"
    }
}

/// `torch.nn.AdaptiveAvgPool2d`.
public final class AdaptiveAvgPool2d: Module {
    /// The output's (height, width), whatever the input's size.
    public let outputSize: (Int, Int)
    /// Average pooling to `outputSize`.
    public init(_ outputSize: (Int, Int)) { self.outputSize = outputSize }
    /// `[N, C, H, W]` averaged over PyTorch's adaptive bins to `[N, C, outputSize.0, outputSize.1]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.adaptiveAvgPool2d(outputSize: outputSize)
    }
    /// PyTorch's repr, as `AdaptiveAvgPool2d(output_size=(1, 1))`.
    public var description: String { "AdaptiveAvgPool2d(output_size=(\(outputSize.0), \(outputSize.1)))" }
}

/// `torch.nn.AvgPool2d` with square windows and no padding (CLIP's anti-aliased strides).
public final class AvgPool2d: Module {
    /// The side of each window, in pixels.
    public let kernelSize: Int
    /// How far apart windows start.
    public let stride: Int
    /// Averages over `kernelSize`×`kernelSize` windows, `stride` apart (the kernel size by default).
    public init(kernelSize: Int, stride: Int? = nil) { (self.kernelSize, self.stride) = (kernelSize, stride ?? kernelSize) }
    /// The mean of each window: `[N, C, H, W]` to `[N, C, H′, W′]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.avgPool2d(kernel: (kernelSize, kernelSize), stride: (stride, stride))
    }
    /// PyTorch's repr, as `AvgPool2d(kernel_size=2, stride=2, padding=0)`.
    public var description: String { "AvgPool2d(kernel_size=\(kernelSize), stride=\(stride), padding=0)" }
}
