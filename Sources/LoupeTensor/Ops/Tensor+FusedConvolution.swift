import CDNNL

/// An activation a convolution applies to its output inside the same oneDNN primitive (a
/// post-op), so the output is written once instead of twice.
public enum FusedActivation: Hashable, Sendable, CustomStringConvertible {
    /// `max(x, 0)`.
    case relu
    /// `min(max(x, low), high)` (ReLU6 is `clip(low: 0, high: 6)`).
    case clip(low: Float, high: Float)

    /// The oneDNN algorithm whose backward pass reads the activation's output instead of its
    /// input: the gradient passes where `y > 0` (ReLU) or `low < y < high` (clip), which is
    /// PyTorch's convention at the kinks.
    var algorithmUsingOutput: (dnnl_alg_kind_t, Float, Float) {
        switch self {
        case .relu: return (dnnl_eltwise_relu_use_dst_for_bwd, 0, 0)
        case let .clip(low, high): return (dnnl_eltwise_clip_v2_use_dst_for_bwd, low, high)
        }
    }

    var function: EltwiseFunction {
        switch self {
        case .relu: return .relu
        case let .clip(low, high): return .clip(low: low, high: high)
        }
    }

    /// The activation's name for messages: `relu`, or `clip(low, high)` with the two bounds.
    public var description: String {
        switch self {
        case .relu: return "relu"
        case let .clip(low, high): return "clip(\(low), \(high))"
        }
    }

}

/// A per-output-channel affine map a convolution applies to its output before its activation,
/// `y·scale + shift`: an eval-mode batch norm in PyTorch's own arithmetic (`scale = γ/√(σ² + ε)`
/// and `shift = β − μ·scale`, both in single precision, then one multiply and one add per
/// value), so the fused output rounds as PyTorch's separate batch norm does.
public struct ChannelAffine: @unchecked Sendable {
    /// `[C]`.
    public let scale: Tensor
    /// `[C]`.
    public let shift: Tensor
    /// The convolution's weight times `scale` per output channel, which the backward pass uses.
    public let scaledWeight: Tensor
    /// The convolution's bias (zero if none) times `scale` plus `shift`: with ``scaledWeight``,
    /// the map folded into the convolution, which forward passes without gradient use (one
    /// rounding less, so the values differ from the post-op arithmetic in the last bits).
    public let foldedBias: Tensor

    /// A map from its four tensors, computed by the caller (see the properties for what each holds).
    public init(scale: Tensor, shift: Tensor, scaledWeight: Tensor, foldedBias: Tensor) {
        self.scale = scale
        self.shift = shift
        self.scaledWeight = scaledWeight
        self.foldedBias = foldedBias
    }
}

/// When a fused convolution folds its affine map into the weight and bias.
public enum AffineFolding: Sendable {
    /// Only when no gradient can be asked for. With one, the map is PyTorch's multiply-then-add
    /// as post-ops, so every pre-activation rounds, and lands on the side of a kink, as
    /// PyTorch's does: what attribution needs to agree with Captum.
    case withoutGradient
    /// Always: about a third faster with a gradient, at pre-activations that differ from
    /// PyTorch's in the last bits. For optimisation (class visualisation, deep dream), which
    /// matches no reference run value for value.
    case always
}

/// Primitive attributes holding a convolution's post-ops (an affine map as two per-channel
/// binary post-ops, then an activation), alive during `body`.
func withConvolutionPostOps<R>(channels: Int, affine: Bool, activation: FusedActivation?, _ body: (dnnl_primitive_attr_t?) throws -> R)
    throws -> R
{
    guard affine || activation != nil else { return try body(nil) }
    return try withPostOps(op: "conv2d post-op") { postOps in
        if affine {
            var perChannel = try MemoryDescriptor.plain([1, channels, 1, 1]).raw
            try check(dnnl_post_ops_append_binary(postOps, dnnl_binary_mul, &perChannel), op: "conv2d post-op")
            try check(dnnl_post_ops_append_binary(postOps, dnnl_binary_add, &perChannel), op: "conv2d post-op")
        }
        if let activation {
            let (algorithm, alpha, beta) = activation.function.algorithm
            try check(dnnl_post_ops_append_eltwise(postOps, 1, algorithm, alpha, beta), op: "conv2d post-op")
        }
    } body: {
        try body($0)
    }
}

/// Primitive attributes holding the post-ops `append` adds, alive during `body`; `op` names the
/// operation in errors.
func withPostOps<R>(op: String, append: (dnnl_post_ops_t) throws -> Void, body: (dnnl_primitive_attr_t) throws -> R) throws -> R {
    var attributes: dnnl_primitive_attr_t?
    var postOps: dnnl_post_ops_t?
    try check(dnnl_primitive_attr_create(&attributes), op: op)
    defer { if let attributes { dnnl_primitive_attr_destroy(attributes) } }
    try check(dnnl_post_ops_create(&postOps), op: op)
    defer { if let postOps { dnnl_post_ops_destroy(postOps) } }
    guard let attributes, let postOps else { throw TensorError.dnnl(op: op, status: "no attributes") }
    try append(postOps)
    try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), op: op)
    return try body(attributes)
}

/// oneDNN's argument index for the second source of the post-op at `index`
/// (`DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1`).
func postOpSource(_ index: Int32) -> Int32 {
    DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE * (index + 1) | DNNL_ARG_SRC_1
}

extension Tensor {
    /// A convolution, an optional per-channel affine map and an optional activation in one
    /// oneDNN primitive, for forward passes that want no gradient: `conv2d(…)`, then
    /// `y·scale + shift`, then `activation`, with the output written once.
    ///
    /// The result records no history. Unlike ``conv2d(weight:bias:stride:padding:dilation:groups:)``
    /// it does not scan its input for NaN: it runs inside networks, whose input and parameters
    /// are checked once (`Model` does), not before every layer.
    ///
    /// - Throws: ``TensorError/invalidArgument(op:message:)`` when a gradient could be asked for
    ///   (grad mode on and the input, weight or bias recording history), or when the affine map
    ///   does not have one value per output channel; otherwise as
    ///   ``conv2d(weight:bias:stride:padding:dilation:groups:)``.
    public func conv2dInference(
        weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding2D = .zero,
        dilation: (Int, Int) = (1, 1), groups: Int = 1, affine: ChannelAffine? = nil, activation: FusedActivation? = nil
    ) throws -> Tensor {
        guard !(GradMode.isEnabled && (record != nil || weight.record != nil || bias?.record != nil)) else {
            throw TensorError.invalidArgument(
                op: "conv2d",
                message: "the fused inference convolution records no gradient; run it without grad mode or on tensors that need none")
        }
        return try fusedForward(
            weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
            affine: affine, activation: activation
        ).output
    }

    /// The fused forward convolution, and the layout in which the primitive read its input.
    private func fusedForward(
        weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: Padding2D, dilation: (Int, Int), groups: Int,
        affine: ChannelAffine?, activation: FusedActivation?
    ) throws -> (output: Tensor, sourceLayout: MemoryDescriptor) {
        let geometry = try convolutionGeometry(
            weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        if let affine, affine.scale.shape != [geometry.output[1]] || affine.shift.shape != [geometry.output[1]] {
            throw TensorError.shapeMismatch(
                op: "conv2d", shapes: [weight.shape, affine.scale.shape, affine.shift.shape],
                expected: "the affine scale and shift must be [\(geometry.output[1])]")
        }
        var operands: [(Int32, Storage)] = []
        if let affine {
            let perChannel = try MemoryDescriptor.plain([1, geometry.output[1], 1, 1])
            operands.append((postOpSource(0), Storage(descriptor: perChannel, buffer: try affine.scale.contiguous().storage.buffer)))
            operands.append((postOpSource(1), Storage(descriptor: perChannel, buffer: try affine.shift.contiguous().storage.buffer)))
        }
        let forward = try Tensor.convolutionForward(geometry, affine: affine != nil, activation: activation)
        let (src, dst) = try runConvolution(forward, geometry, weight: weight, bias: bias, extra: operands)
        return (Tensor(shape: geometry.output, storage: dst), src.descriptor)
    }

    /// The same fused convolution, with a gradient with respect to the input when one can be
    /// asked for.
    ///
    /// Without one, and with one when `folding` is ``AffineFolding/always``, the affine map is
    /// folded into the convolution (``ChannelAffine/scaledWeight`` and
    /// ``ChannelAffine/foldedBias``). The backward pass masks the output gradient with the
    /// activation's derivative read from the output (see ``FusedActivation``) and runs the
    /// convolution's backward-data primitive on the affine map's ``ChannelAffine/scaledWeight``, in
    /// the layouts the forward primitive chose, so that a gradient flows through a network without
    /// a reorder at every layer. No intermediate (the pre-activation) is stored.
    ///
    /// When the weight, bias or affine map records history, their gradients are needed too and
    /// the operations run one by one as recorded operations instead, with the same values.
    ///
    /// - Throws: as ``conv2dInference(weight:bias:stride:padding:dilation:groups:affine:activation:)``.
    public func conv2dFused(
        weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding2D = .zero,
        dilation: (Int, Int) = (1, 1), groups: Int = 1, affine: ChannelAffine? = nil, activation: FusedActivation? = nil,
        folding: AffineFolding = .withoutGradient
    ) throws -> Tensor {
        let folded = {
            try GradMode.withoutGrad {
                try self.fusedForward(
                    weight: affine?.scaledWeight ?? weight, bias: affine?.foldedBias ?? bias, stride: stride,
                    padding: padding, dilation: dilation, groups: groups, affine: nil, activation: activation)
            }
        }
        let separate = {
            try GradMode.withoutGrad {
                try self.fusedForward(
                    weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                    groups: groups, affine: affine, activation: activation)
            }
        }
        let parametersRecord = [weight, bias, affine?.scale, affine?.shift, affine?.scaledWeight].contains { $0?.record != nil }
        // No gradient: the affine map folded into the weight and bias is the fastest form.
        guard GradMode.isEnabled, record != nil || parametersRecord else { return try folded().output }
        guard !parametersRecord else {
            var x = try conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
            if let affine {
                let perChannel = [1, affine.scale.count, 1, 1]
                x = try x * affine.scale.reshaped(to: perChannel) + affine.shift.reshaped(to: perChannel)
            }
            return try activation.map { try x.eltwise($0.function) } ?? x
        }
        // Unless told to fold, PyTorch's arithmetic (multiply, then add), so that each
        // pre-activation lands on the side of a ReLU kink that PyTorch's lands on.
        let (output, sourceLayout) = try folding == .always ? folded() : separate()
        let geometry = try convolutionGeometry(
            weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let backwardWeight = affine?.scaledWeight ?? weight
        guard backwardWeight.shape == weight.shape else {
            throw TensorError.shapeMismatch(
                op: "conv2d", shapes: [weight.shape, backwardWeight.shape], expected: "the scaled weight must have the weight's shape")
        }
        let dst = output.storage
        // The gradients keep the forward pass's layouts (see `convolutionBackwardData`).
        let layout = (src: sourceLayout, dst: dst.descriptor)
        let name = "conv2d" + (affine == nil ? "" : "+affine") + (activation.map { "+\($0)" } ?? "")
        return Tensor.result(name, shape: geometry.output, storage: dst, inputs: [self]) { g, _ in
            let masked =
                try activation.map {
                    try Tensor.eltwiseBackward(
                        $0.algorithmUsingOutput, name: $0.description, data: dst, argument: DNNL_ARG_DST,
                        shape: geometry.output, gradOutput: g)
                } ?? g
            return [try Tensor.convolutionBackwardData(geometry, weight: backwardWeight, gradOutput: masked, layout: layout)]
        }
    }
}
