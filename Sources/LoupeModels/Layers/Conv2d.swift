import Foundation
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

    /// Input channels, `C_in`.
    public let inputChannels: Int
    /// Output channels (filters), `C_out`.
    public let outputChannels: Int
    /// The kernel's (height, width), in pixels; square for every layer Loupe builds.
    public let kernelSize: (Int, Int)
    /// The step between outputs, (vertical, horizontal), in input pixels.
    public let stride: (Int, Int)
    /// How the input is padded.
    public let padding: PaddingMode
    /// The spacing between kernel taps, (vertical, horizontal); 1 for an ordinary convolution.
    public let dilation: (Int, Int)
    /// How many independent groups the channels are split into (`C_in` for a depthwise convolution).
    public let groups: Int
    /// The filters, `[C_out, C_in / groups, kH, kW]` (`weight`).
    public let weight: Parameter
    /// The per-filter bias, `[C_out]` (`bias`), or `nil` for `bias=False`.
    public let bias: Parameter?
    private let folds = DerivedParameterCache<ObjectIdentifier, ChannelAffine>()

    /// A convolution with a square kernel and equal strides and dilations, its parameters not yet loaded.
    public init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
        padding: PaddingMode = .explicit(.zero), dilation: Int = 1, groups: Int = 1, bias: Bool = true
    ) {
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
    public convenience init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
        padding: Int, dilation: Int = 1, groups: Int = 1, bias: Bool = true
    ) {
        self.init(
            inputChannels, outputChannels, kernelSize: kernelSize, stride: stride,
            padding: .explicit(.symmetric(padding, padding)), dilation: dilation, groups: groups, bias: bias)
    }

    /// `weight`, then `bias` when there is one.
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// `[N, C_in, H, W]` to `[N, C_out, H′, W′]`, unfused, so that every parameter can have a gradient.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.conv2d(
            weight: weight.tensor, bias: bias?.tensor, stride: stride, padding: padding(for: input), dilation: dilation, groups: groups)
    }

    /// The zero padding for `input`.
    func padding(for input: Tensor) throws -> Padding2D {
        switch padding {
        case let .explicit(p): return p
        case .same:
            guard input.rank == 4 else {
                throw TensorError.shapeMismatch(op: "conv2d", shapes: [input.shape], expected: "the input must be [N, C, H, W]")
            }
            return .same(inputHeight: input.shape[2], inputWidth: input.shape[3], kernel: kernelSize, stride: stride, dilation: dilation)
        }
    }

    /// This convolution, then `norm` (eval mode) and `activation` when given, as one oneDNN
    /// primitive.
    ///
    /// The batch norm is the per-channel map `y·α + β′` with `α = γ/√(σ² + ε)` and
    /// `β′ = β − μ·α`, computed in single precision as PyTorch's eval-mode batch norm does and
    /// applied as post-ops (or folded into the weight and bias: without gradient, or always when
    /// `affineFolding` says so); the activation is a post-op too. The input gradient flows
    /// through it
    /// (``LoupeTensor/Tensor/conv2dFused(weight:bias:stride:padding:dilation:groups:affine:activation:folding:)``,
    /// whose backward pass uses the weight scaled by α); parameter gradients do not, so callers
    /// that need them run the layers one by one. The map and the scaled weight are kept until a
    /// parameter is loaded again.
    public func fused(
        _ input: Tensor, folding norm: BatchNorm2d?, activation: FusedActivation?,
        affineFolding: AffineFolding = .withoutGradient
    ) throws -> Tensor {
        try input.conv2dFused(
            weight: weight.tensor, bias: bias?.tensor, stride: stride, padding: padding(for: input), dilation: dilation,
            groups: groups, affine: norm.map(affine(of:)), activation: activation, folding: affineFolding)
    }

    private func affine(of norm: BatchNorm2d) throws -> ChannelAffine {
        let sources = [weight, bias, norm.weight, norm.bias, norm.runningMean, norm.runningVariance].compactMap { $0 }
        let key = sources.map(\.generation) + [Int(norm.epsilon.bitPattern)]
        return try folds.value(for: key, ObjectIdentifier(norm)) {
            let w = try weight.tensor.scalars, gamma = try norm.weight.tensor.scalars, beta = try norm.bias.tensor.scalars
            let mean = try norm.runningMean.tensor.scalars, variance = try norm.runningVariance.tensor.scalars
            let perOutput = w.count / Swift.max(outputChannels, 1)
            var scale = [Float](repeating: 0, count: outputChannels), shift = [Float](repeating: 0, count: outputChannels)
            let b = try bias?.tensor.scalars ?? [Float](repeating: 0, count: outputChannels)
            var scaledWeight = [Float](repeating: 0, count: w.count), foldedBias = [Float](repeating: 0, count: outputChannels)
            for o in 0..<outputChannels {
                // PyTorch's batch_norm_cpu_collect_linear_and_constant_terms, in Float.
                let invstd = 1 / (variance[o] + norm.epsilon).squareRoot()
                scale[o] = invstd * gamma[o]
                shift[o] = beta[o] - mean[o] * scale[o]
                for i in (o * perOutput)..<((o + 1) * perOutput) { scaledWeight[i] = w[i] * scale[o] }
                foldedBias[o] = b[o] * scale[o] + shift[o]
            }
            return ChannelAffine(
                scale: try Tensor(shape: [outputChannels], scalars: scale),
                shift: try Tensor(shape: [outputChannels], scalars: shift),
                scaledWeight: try Tensor(shape: try weight.tensor.shape, scalars: scaledWeight),
                foldedBias: try Tensor(shape: [outputChannels], scalars: foldedBias))
        }
    }

    /// PyTorch's repr, as `Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)`.
    public var description: String {
        var text =
            "Conv2d(\(inputChannels), \(outputChannels), kernel_size=(\(kernelSize.0), \(kernelSize.1)), stride=(\(stride.0), \(stride.1))"
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
