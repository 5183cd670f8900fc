import LoupeTensor

/// A 2-D convolution layer, as `torch.nn.Conv2d`: weight `[out, in / groups, kH, kW]`, optional
/// bias `[out]`.
public final class Conv2d: Module {
    /// How the input is padded.
    public enum PaddingMode: Hashable, Sendable {
        /// Fixed zero padding, as PyTorch's `padding=`.
        case explicit(Padding2D)
        /// TensorFlow's "SAME": computed from each input's size, any odd pixel at the bottom and
        /// right (TF-trained networks such as EfficientNet-Lite).
        case same
    }

    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: PaddingMode
    public let dilation: (Int, Int)
    public let groups: Int
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: PaddingMode = .explicit(.zero), dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride, stride)
        self.padding = padding
        self.dilation = (dilation, dilation)
        self.groups = groups
        weight = Parameter("weight", shape: [outputChannels, inputChannels / groups, kernelSize, kernelSize])
        self.bias = bias ? Parameter("bias", shape: [outputChannels]) : nil
    }

    /// PyTorch's `padding=p` on every side.
    public convenience init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Int, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        self.init(inputChannels, outputChannels, kernelSize: kernelSize, stride: stride,
                  padding: .explicit(.symmetric(padding, padding)), dilation: dilation, groups: groups, bias: bias)
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let pad: Padding2D
        switch padding {
        case let .explicit(p): pad = p
        case .same:
            guard input.rank == 4 else {
                throw TensorError.shapeMismatch(op: "conv2d", shapes: [input.shape], expected: "the input must be [N, C, H, W]")
            }
            pad = .same(inputHeight: input.shape[2], inputWidth: input.shape[3], kernel: kernelSize, stride: stride, dilation: dilation)
        }
        return try input.conv2d(weight: weight.tensor, bias: bias?.tensor, stride: stride, padding: pad, dilation: dilation, groups: groups)
    }

    public var description: String {
        var text = "Conv2d(\(inputChannels), \(outputChannels), kernel_size=(\(kernelSize.0), \(kernelSize.1)), stride=(\(stride.0), \(stride.1))"
        switch padding {
        case let .explicit(p) where p != .zero:
            text += p.top == p.bottom && p.left == p.right ? ", padding=(\(p.top), \(p.left))" : ", padding=\(p)"
        case .same: text += ", padding=same"
        default: break
        }
        if dilation != (1, 1) { text += ", dilation=(\(dilation.0), \(dilation.1))" }
        if groups != 1 { text += ", groups=\(groups)" }
        if bias == nil { text += ", bias=False" }
        return text + ")"
    }
}
