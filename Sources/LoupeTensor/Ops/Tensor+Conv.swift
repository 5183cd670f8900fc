import CDNNL

/// Zero padding on the four sides of an image, which may be asymmetric (TensorFlow's "SAME").
public struct Padding2D: Hashable, Sendable, CustomStringConvertible {
    public var top: Int, bottom: Int, left: Int, right: Int

    /// Padding of the given number of pixels on each side.
    public init(top: Int, bottom: Int, left: Int, right: Int) {
        (self.top, self.bottom, self.left, self.right) = (top, bottom, left, right)
    }

    /// The same padding above and below (`height`) and left and right (`width`), as PyTorch's
    /// `padding=(height, width)`.
    public static func symmetric(_ height: Int, _ width: Int) -> Padding2D {
        Padding2D(top: height, bottom: height, left: width, right: width)
    }

    /// No padding.
    public static let zero = Padding2D(top: 0, bottom: 0, left: 0, right: 0)

    /// TensorFlow's "SAME" padding for one input size: the output is `ceil(input / stride)` and
    /// any odd padding goes to the bottom and right.
    public static func same(inputHeight: Int, inputWidth: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int) = (1, 1))
        -> Padding2D
    {
        func split(_ input: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
            let out = (input + s - 1) / s
            let total = Swift.max((out - 1) * s + (k - 1) * d + 1 - input, 0)
            return (total / 2, total - total / 2)
        }
        let (t, b) = split(inputHeight, kernel.0, stride.0, dilation.0)
        let (l, r) = split(inputWidth, kernel.1, stride.1, dilation.1)
        return Padding2D(top: t, bottom: b, left: l, right: r)
    }

    /// The four sides, as `(top: 0, bottom: 1, left: 0, right: 1)`.
    public var description: String { "(top: \(top), bottom: \(bottom), left: \(left), right: \(right))" }
}

/// The geometry of one 2-D convolution: everything a primitive is keyed on besides layouts.
struct ConvolutionGeometry: Hashable {
    var input: [Int]  // [N, C, H, W]
    var weight: [Int]  // [O, C / groups, kH, kW]
    var output: [Int]  // [N, O, OH, OW]
    var stride: [Int]
    var padding: Padding2D
    var dilation: [Int]
    var groups: Int
    var hasBias: Bool

    /// The weight dimensions oneDNN wants: grouped convolutions take `[G, O/G, C/G, kH, kW]`.
    var dnnlWeight: [Int] {
        groups == 1 ? weight : [groups, weight[0] / groups] + weight[1...]
    }

    /// Calls `body` with oneDNN's strides, dilations (counted from 0) and left/right paddings.
    func withArrays<R>(_ body: (UnsafePointer<Int64>, UnsafePointer<Int64>, UnsafePointer<Int64>, UnsafePointer<Int64>) throws -> R) throws
        -> R
    {
        try withDimsArrays([stride, dilation.map { $0 - 1 }, [padding.top, padding.left], [padding.bottom, padding.right]]) { a in
            try body(a[0], a[1], a[2], a[3])
        }
    }
}

extension Tensor {
    /// A 2-D convolution (cross-correlation), as `torch.nn.functional.conv2d`.
    ///
    /// The input is `[N, C, H, W]`, the weight `[O, C / groups, kH, kW]` in PyTorch's layout and
    /// the optional bias `[O]`. The output is `[N, O, OH, OW]` with
    /// `OH = ⌊(H + top + bottom − dilation·(kH − 1) − 1) / stride⌋ + 1`. Depthwise convolution is
    /// `groups == C`. Runs on oneDNN; the output keeps the layout oneDNN chose.
    ///
    /// - Throws: ``TensorError`` naming `conv2d` and the shapes when they do not fit together,
    ///   when a stride or dilation is not positive or a padding is negative, or when the input
    ///   holds NaN.
    public func conv2d(
        weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding2D = .zero,
        dilation: (Int, Int) = (1, 1), groups: Int = 1
    ) throws -> Tensor {
        let geometry = try convolutionGeometry(
            weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        try checkNoNaN(op: "conv2d", name: "input")
        let recording = GradMode.isEnabled && (record != nil || weight.record != nil || bias?.record != nil)
        let (src, dst) = try runConvolution(Tensor.convolutionForward(geometry, training: recording), geometry, weight: weight, bias: bias)

        let inputs = [self, weight] + (bias.map { [$0] } ?? [])
        // The input is kept for the backward pass only if a weight gradient may be asked for.
        let savedInput = weight.record != nil || bias?.record != nil ? src : nil
        return Tensor.result("conv2d", shape: geometry.output, storage: dst, inputs: inputs) { g, needs in
            let input = needs[0] ? try Tensor.convolutionBackwardData(geometry, weight: weight, gradOutput: g) : nil
            var weightGradient: Tensor?, biasGradient: Tensor?
            if let savedInput, needs[1] || (needs.count > 2 && needs[2]) {
                (weightGradient, biasGradient) = try Tensor.convolutionBackwardWeights(geometry, input: savedInput, gradOutput: g)
            }
            return [input, needs[1] ? weightGradient : nil] + (bias == nil ? [] : [needs[2] ? biasGradient : nil])
        }
    }

    func convolutionGeometry(
        weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: Padding2D, dilation: (Int, Int), groups: Int
    ) throws -> ConvolutionGeometry {
        try checkRank(4, op: "conv2d", name: "the input", layout: "[N, C, H, W]")
        try weight.checkRank(4, op: "conv2d", name: "the weight", layout: "[O, C / groups, kH, kW]")
        guard stride.0 > 0, stride.1 > 0, dilation.0 > 0, dilation.1 > 0, groups > 0 else {
            throw TensorError.invalidArgument(
                op: "conv2d", message: "stride \(stride), dilation \(dilation) and groups \(groups) must be positive")
        }
        guard min(padding.top, padding.bottom, padding.left, padding.right) >= 0 else {
            throw TensorError.invalidArgument(op: "conv2d", message: "padding \(padding) must not be negative")
        }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (o, ci, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        guard c == ci * groups, o % groups == 0 else {
            throw TensorError.shapeMismatch(
                op: "conv2d", shapes: [shape, weight.shape],
                expected:
                    "input channels \(c) must equal weight channels \(ci) × groups \(groups), and output channels \(o) must divide by groups"
            )
        }
        if let bias, bias.shape != [o] {
            throw TensorError.shapeMismatch(op: "conv2d", shapes: [weight.shape, bias.shape], expected: "the bias must be [\(o)]")
        }
        let oh = windowOutputLength(input: h, kernel: kh, stride: stride.0, padding: (padding.top, padding.bottom), dilation: dilation.0)
        let ow = windowOutputLength(input: w, kernel: kw, stride: stride.1, padding: (padding.left, padding.right), dilation: dilation.1)
        guard oh > 0, ow > 0, n > 0, kh > 0, kw > 0 else {
            throw TensorError.shapeMismatch(
                op: "conv2d", shapes: [shape, weight.shape],
                expected: "the padded input must be at least as large as the dilated kernel (padding \(padding), dilation \(dilation))")
        }
        // oneDNN wants the right/bottom padding that its own formula needs; rows past the last
        // window are never read, so dropping them changes nothing.
        var fitted = padding
        fitted.bottom = (oh - 1) * stride.0 + dilation.0 * (kh - 1) + 1 - h - padding.top
        fitted.right = (ow - 1) * stride.1 + dilation.1 * (kw - 1) + 1 - w - padding.left
        return ConvolutionGeometry(
            input: shape, weight: weight.shape, output: [n, o, oh, ow], stride: [stride.0, stride.1],
            padding: fitted, dilation: [dilation.0, dilation.1], groups: groups, hasBias: bias != nil)
    }

    /// Executes a forward convolution primitive on this input; `extra` are further arguments
    /// (post-op operands).
    ///
    /// Returns the input as the primitive read it, and the output.
    func runConvolution(
        _ forward: Primitive, _ geometry: ConvolutionGeometry, weight: Tensor, bias: Tensor?,
        extra: [(Int32, Storage)] = []
    ) throws -> (src: Storage, dst: Storage) {
        let src = try storage.converted(to: forward.memory(dnnl_query_src_md))
        let weights = try weight.convolutionWeights(geometry, as: forward.memory(dnnl_query_weights_md))
        let dst = Storage(uninitialized: try forward.memory(dnnl_query_dst_md))
        var arguments = [(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, dst)]
        if let bias { arguments.append((DNNL_ARG_BIAS, try bias.contiguous().storage)) }
        try forward.execute(arguments + extra)
        return (src, dst)
    }

    /// The weight in the layout a primitive wants, converted once per weight and layout.
    func convolutionWeights(_ geometry: ConvolutionGeometry, as layout: MemoryDescriptor) throws -> Storage {
        let plain = try contiguous()
        let grouped = Storage(descriptor: try .plain(geometry.dnnlWeight), buffer: plain.storage.buffer)
        return try grouped.converted(to: layout, cache: true)
    }

    /// The forward primitive, with post-ops when `affine` (a per-channel multiply and add, whose
    /// operands are passed at execution) or `activation` is asked for.
    static func convolutionForward(
        _ geometry: ConvolutionGeometry, training: Bool = false, affine: Bool = false,
        activation: FusedActivation? = nil
    ) throws -> Primitive {
        let kind = training ? "conv_fwd_training" : "conv_fwd"
        // oneDNN chooses the layouts; if it can only offer a reference kernel for them, plain
        // layouts have a gemm-based one on every CPU.
        return try PrimitiveCache.primitive(kind, geometry, affine, activation, layouts: LayoutChoice.givenOrPlain) { engine, choice in
            var op = dnnl_convolution_desc_t()
            var src = try choice.descriptor(for: .any(geometry.input)).raw
            var weights = try choice.descriptor(for: .any(geometry.dnnlWeight)).raw
            var bias = geometry.hasBias ? try MemoryDescriptor.plain([geometry.weight[0]]).raw : dnnl_memory_desc_t()
            var dst = try choice.descriptor(for: .any(geometry.output)).raw
            try geometry.withArrays { s, d, l, r in
                try withUnsafePointer(to: &bias) { b in
                    try check(
                        dnnl_dilated_convolution_forward_desc_init(
                            &op, training ? dnnl_forward_training : dnnl_forward_inference, dnnl_convolution_direct,
                            &src, &weights, geometry.hasBias ? b : nil, &dst, s, d, l, r), op: "conv2d")
                }
            }
            return try withConvolutionPostOps(channels: geometry.output[1], affine: affine, activation: activation) {
                try makeDescriptor(&op, engine: engine, attributes: $0, kind: "conv2d")
            }
        }
    }

    /// The gradient with respect to a convolution's input.
    ///
    /// `layout`, when given, is the forward primitive's source and destination layouts: the
    /// gradients then keep them, so a backward pass through layers whose forward primitives chose
    /// one layout (channels-last, say) does not reorder at every layer to the blocked layout
    /// backward kernels prefer.
    ///
    /// Where oneDNN has no JIT kernel for those layouts (on AVX2, a stride-2 convolution from a
    /// plain 3-channel image into 8-channel blocks has only its reference kernel, 75× slower
    /// than the forward), the layouts oneDNN chooses, then plain ones, are tried instead, and
    /// the gradients are reordered into and out of them.
    static func convolutionBackwardData(
        _ geometry: ConvolutionGeometry, weight: Tensor, gradOutput: Tensor,
        layout: (src: MemoryDescriptor, dst: MemoryDescriptor)? = nil
    ) throws -> Tensor {
        let hint = try convolutionForward(geometry, training: true)
        let given = (src: try layout?.src ?? .any(geometry.input), dst: try layout?.dst ?? .any(geometry.output))
        let primitive = try PrimitiveCache.primitive("conv_bwd_data", geometry, layout?.src, layout?.dst, layouts: LayoutChoice.all) {
            engine, choice in
            var op = dnnl_convolution_desc_t()
            var diffSrc = try choice.descriptor(for: given.src).raw
            var weights = try MemoryDescriptor.any(geometry.dnnlWeight).raw
            var diffDst = try choice.descriptor(for: given.dst).raw
            try geometry.withArrays { s, d, l, r in
                try check(
                    dnnl_dilated_convolution_backward_data_desc_init(
                        &op, dnnl_convolution_direct, &diffSrc, &weights, &diffDst, s, d, l, r), op: "conv2d backward")
            }
            return try makeDescriptor(&op, engine: engine, hint: hint.descriptor, kind: "conv2d backward")
        }
        let diffDst = try gradOutput.storage.converted(to: primitive.memory(dnnl_query_diff_dst_md))
        let weights = try weight.convolutionWeights(geometry, as: primitive.memory(dnnl_query_weights_md))
        let diffSrc = Storage(uninitialized: try primitive.memory(dnnl_query_diff_src_md))
        try primitive.execute([(DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DIFF_SRC, diffSrc)])
        return Tensor(shape: geometry.input, storage: diffSrc)
    }

    private static func convolutionBackwardWeights(_ geometry: ConvolutionGeometry, input: Storage, gradOutput: Tensor) throws -> (
        Tensor, Tensor?
    ) {
        let hint = try convolutionForward(geometry, training: true)
        let primitive = try PrimitiveCache.primitive("conv_bwd_weights", geometry, layouts: LayoutChoice.givenOrPlain) { engine, choice in
            var op = dnnl_convolution_desc_t()
            var src = try choice.descriptor(for: .any(geometry.input)).raw
            var diffWeights = try choice.descriptor(for: .any(geometry.dnnlWeight)).raw
            var diffBias = geometry.hasBias ? try MemoryDescriptor.plain([geometry.weight[0]]).raw : dnnl_memory_desc_t()
            var diffDst = try choice.descriptor(for: .any(geometry.output)).raw
            try geometry.withArrays { s, d, l, r in
                try withUnsafePointer(to: &diffBias) { b in
                    try check(
                        dnnl_dilated_convolution_backward_weights_desc_init(
                            &op, dnnl_convolution_direct, &src, &diffWeights, geometry.hasBias ? b : nil, &diffDst, s, d, l, r),
                        op: "conv2d weight gradient")
                }
            }
            return try makeDescriptor(&op, engine: engine, hint: hint.descriptor, kind: "conv2d weight gradient")
        }
        let src = try input.converted(to: primitive.memory(dnnl_query_src_md))
        let diffDst = try gradOutput.storage.converted(to: primitive.memory(dnnl_query_diff_dst_md))
        let diffWeights = Storage(uninitialized: try primitive.memory(dnnl_query_diff_weights_md))
        var arguments = [(DNNL_ARG_SRC, src), (DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_WEIGHTS, diffWeights)]
        var biasGradient: Tensor?
        if geometry.hasBias {
            let diffBias = Storage(uninitialized: try MemoryDescriptor.plain([geometry.weight[0]]))
            arguments.append((DNNL_ARG_DIFF_BIAS, diffBias))
            biasGradient = Tensor(shape: [geometry.weight[0]], storage: diffBias)
        }
        try primitive.execute(arguments)
        let plain = try diffWeights.converted(to: .plain(geometry.dnnlWeight))
        let weightGradient = Tensor(shape: geometry.weight, storage: Storage(descriptor: try .plain(geometry.weight), buffer: plain.buffer))
        return (weightGradient, biasGradient)
    }
}
