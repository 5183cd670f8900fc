import CDNNL

/// An activation a convolution applies to its output inside the same oneDNN primitive (a
/// post-op), so the output is written once instead of twice.
public enum FusedActivation: Hashable, Sendable, CustomStringConvertible {
    /// `max(x, 0)`.
    case relu
    /// `min(max(x, low), high)` (ReLU6 is `clip(low: 0, high: 6)`).
    case clip(low: Float, high: Float)

    var function: EltwiseFunction {
        switch self {
        case .relu: return .relu
        case let .clip(low, high): return .clip(low: low, high: high)
        }
    }

    public var description: String {
        switch self {
        case .relu: return "relu"
        case let .clip(low, high): return "clip(\(low), \(high))"
        }
    }

    /// Primitive attributes holding this activation as an eltwise post-op, alive during `body`.
    func withAttributes<R>(_ body: (dnnl_primitive_attr_t) throws -> R) throws -> R {
        var attributes: dnnl_primitive_attr_t?
        var postOps: dnnl_post_ops_t?
        try check(dnnl_primitive_attr_create(&attributes), op: "conv2d post-op")
        defer { if let attributes { dnnl_primitive_attr_destroy(attributes) } }
        try check(dnnl_post_ops_create(&postOps), op: "conv2d post-op")
        defer { if let postOps { dnnl_post_ops_destroy(postOps) } }
        guard let attributes, let postOps else { throw TensorError.dnnl(op: "conv2d post-op", status: "no attributes") }
        let (algorithm, alpha, beta) = function.algorithm
        try check(dnnl_post_ops_append_eltwise(postOps, 1, algorithm, alpha, beta), op: "conv2d post-op")
        try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), op: "conv2d post-op")
        return try body(attributes)
    }
}

extension Tensor {
    /// A convolution and an optional activation in one oneDNN primitive, for forward passes that
    /// want no gradient: `conv2d(…)` followed by `activation`, with the output written once.
    ///
    /// The result records no history. Folding an eval-mode batch norm into `weight` and `bias`
    /// (as `Conv2d` does on its inference path) makes conv + batch norm + ReLU a single primitive.
    ///
    /// - Throws: ``TensorError/invalidArgument(op:message:)`` when a gradient could be asked for
    ///   (grad mode on and the input, weight or bias recording history); otherwise as
    ///   ``conv2d(weight:bias:stride:padding:dilation:groups:)``.
    public func conv2dInference(
        weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding2D = .zero,
        dilation: (Int, Int) = (1, 1), groups: Int = 1, activation: FusedActivation? = nil
    ) throws -> Tensor {
        guard !(GradMode.isEnabled && (record != nil || weight.record != nil || bias?.record != nil)) else {
            throw TensorError.invalidArgument(op: "conv2d", message: "the fused inference convolution records no gradient; run it without grad mode or on tensors that need none")
        }
        let geometry = try convolutionGeometry(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        try checkNoNaN(op: "conv2d", name: "input")
        let forward = try Tensor.convolutionForward(geometry, training: false, activation: activation)
        let src = try storage.converted(to: forward.memory(dnnl_query_src_md))
        let weights = try weight.convolutionWeights(geometry, as: forward.memory(dnnl_query_weights_md))
        let dst = Storage(uninitialized: try forward.memory(dnnl_query_dst_md))
        var arguments = [(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, dst)]
        if let bias { arguments.append((DNNL_ARG_BIAS, try bias.contiguous().storage)) }
        try forward.execute(arguments)
        return Tensor(shape: geometry.output, storage: dst)
    }
}
