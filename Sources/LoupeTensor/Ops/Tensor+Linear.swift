import CDNNL

extension Tensor {
    /// Matrix product with batch broadcasting, as `torch.matmul` for inputs of rank ≥ 2.
    ///
    /// `[…, M, K] × […, K, N] → […, M, N]`; batch axes broadcast as in elementwise ops. Runs on
    /// oneDNN's matmul primitive; the backward pass is two more matmuls on transposed views
    /// (strides, no copies).
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank >= 2, other.rank >= 2, shape[rank - 1] == other.shape[other.rank - 2] else {
            throw TensorError.shapeMismatch(op: "matmul", shapes: [shape, other.shape], expected: "[…, M, K] × […, K, N] with rank ≥ 2")
        }
        let batch = try broadcastShape(Array(shape.dropLast(2)), Array(other.shape.dropLast(2)), op: "matmul")
        try checkNoNaN(op: "matmul", name: "left operand")
        try other.checkNoNaN(op: "matmul", name: "right operand")
        let a = try contiguous().reshaped(toRank: batch.count + 2)
        let b = try other.contiguous().reshaped(toRank: batch.count + 2)
        let out = try Tensor.matmulKernel(a, transposed: false, b, transposed: false)
        let (left, right) = (self, other)
        return Tensor.result("matmul", shape: out.shape, storage: out.storage, inputs: [self, other]) { g, needs in
            let gradient = try g.contiguous()
            return [
                needs[0] ? try Tensor.matmulKernel(gradient, transposed: false, b, transposed: true).sum(toShape: left.shape) : nil,
                needs[1] ? try Tensor.matmulKernel(a, transposed: true, gradient, transposed: false).sum(toShape: right.shape) : nil,
            ]
        }
    }

    /// A fully connected layer, as `F.linear(x, weight, bias)`: `x · weightᵀ + bias`.
    ///
    /// `x` is `[…, in]`, `weight` `[out, in]` (PyTorch's layout) and `bias` `[out]`.
    public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try checkLinear(weight: weight, bias: bias)
        try checkNoNaN(op: "linear", name: "input")
        let features = shape[rank - 1]
        let rows = try contiguous().reshaped(to: [-1, features]).detached()
        let w = try weight.contiguous().detached()
        let b = try bias?.contiguous().detached()
        let outputShape = Array(shape.dropLast()) + [weight.shape[0]]
        let out = try Tensor.linearKernel(rows, weight: w, bias: b).reshaped(to: outputShape)
        let inputShape = shape
        return Tensor.result("linear", shape: outputShape, storage: out.storage, inputs: [self, weight] + (bias.map { [$0] } ?? [])) {
            g, needs in
            let g2 = try g.contiguous().reshaped(to: [-1, w.shape[0]])
            return [
                needs[0] ? try Tensor.matmulKernel(g2, transposed: false, w, transposed: false).reshaped(to: inputShape) : nil,
                needs[1] ? try Tensor.matmulKernel(g2, transposed: true, rows, transposed: false) : nil,
            ] + (needs.count > 2 ? [needs[2] ? try g2.sum(toShape: [w.shape[0]]) : nil] : [])
        }
    }

    /// `activation(x · weightᵀ + bias)` (a transformer's widening projection): one oneDNN
    /// matmul with the bias and the activation fused when no gradient can be asked for, the
    /// two ops of ``linear(weight:bias:)`` and the activation otherwise.
    ///
    /// - Parameters:
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]`, or none.
    ///   - activation: the function applied to the result.
    /// - Returns: `[…, out]`.
    /// - Throws: as ``linear(weight:bias:)``.
    public func linear(weight: Tensor, bias: Tensor? = nil, activation: LinearActivation) throws -> Tensor {
        guard !(GradMode.isEnabled && (record != nil || weight.record != nil || bias?.record != nil)) else {
            return try linear(weight: weight, bias: bias).applying(activation)
        }
        try checkLinear(weight: weight, bias: bias)
        try checkNoNaN(op: "linear", name: "input")
        let rows = try contiguous().reshaped(to: [-1, shape[rank - 1]])
        return try Tensor.linearKernel(rows, weight: try weight.contiguous(), bias: try bias?.contiguous(), activation: activation.function)
            .reshaped(to: Array(shape.dropLast()) + [weight.shape[0]])
    }

    /// `x · weightᵀ + bias + residual` (the projection at the end of a transformer block, with
    /// its residual connection): one oneDNN matmul with the bias and the sum fused when no
    /// gradient can be asked for, ``linear(weight:bias:)`` and an addition otherwise.
    ///
    /// - Parameters:
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]`, or none.
    ///   - residual: of the output's shape, `[…, out]`.
    /// - Returns: `[…, out]`.
    /// - Throws: ``TensorError/shapeMismatch(op:shapes:expected:)`` when the residual does not
    ///   have the output's shape; as ``linear(weight:bias:)``.
    public func linear(weight: Tensor, bias: Tensor? = nil, adding residual: Tensor) throws -> Tensor {
        try checkLinear(weight: weight, bias: bias)
        let outputShape = Array(shape.dropLast()) + [weight.shape[0]]
        guard residual.shape == outputShape else {
            throw TensorError.shapeMismatch(
                op: "linear", shapes: [outputShape, residual.shape], expected: "a residual of the output's shape")
        }
        guard !(GradMode.isEnabled && (record != nil || weight.record != nil || bias?.record != nil || residual.record != nil)) else {
            return try linear(weight: weight, bias: bias) + residual
        }
        try checkNoNaN(op: "linear", name: "input")
        let rows = try contiguous().reshaped(to: [-1, shape[rank - 1]])
        let addend = try residual.contiguous().reshaped(to: [rows.shape[0], weight.shape[0]])
        return try Tensor.linearKernel(rows, weight: try weight.contiguous(), bias: try bias?.contiguous(), addend: addend)
            .reshaped(to: outputShape)
    }

    /// Refuses a weight `[out, in]` and bias `[out]` that do not fit this input `[…, in]`.
    private func checkLinear(weight: Tensor, bias: Tensor?) throws {
        guard rank >= 1, weight.rank == 2, shape[rank - 1] == weight.shape[1] else {
            throw TensorError.shapeMismatch(op: "linear", shapes: [shape, weight.shape], expected: "[…, in] with a weight [out, in]")
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw TensorError.shapeMismatch(
                op: "linear", shapes: [weight.shape, bias.shape], expected: "the bias must be [\(weight.shape[0])]")
        }
    }

    /// `x · Wᵀ + b` for `x` `[M, K]` and `W` `[N, K]` (both dense), as one oneDNN matmul with the
    /// bias fused, and, with `activation`, that function applied on the way out.
    ///
    /// The weight is read through transposed strides, no copy; if oneDNN offered no JIT kernel
    /// for that view, the plain layout is asked for and the transposed weight is made once per
    /// weight buffer and kept with it.
    static func linearKernel(
        _ x: Tensor, weight w: Tensor, bias: Tensor?, activation: EltwiseFunction? = nil, addend: Tensor? = nil
    ) throws -> Tensor {
        let (m, k, n) = (x.shape[0], x.shape[1], w.shape[0])
        let src = try MemoryDescriptor.plain([m, k])
        // Wᵀ through transposed strides.
        let weightView = try MemoryDescriptor.strided([k, n], strides: [1, k])
        let dst = try MemoryDescriptor.plain([m, n])
        let biasView = try bias.map { _ in try MemoryDescriptor.plain([1, n]) }
        let primitive = try PrimitiveCache.primitive(
            "linear", src, weightView, biasView, activation, addend != nil, layouts: [.given, .plain]
        ) { engine, choice in
            try withLinearPostOps(activation, adding: addend == nil ? nil : dst) { attributes in
                var op = dnnl_matmul_desc_t()
                var s = src.raw, wd = try choice.descriptor(for: weightView).raw, d = dst.raw
                if var b = biasView?.raw {
                    try check(dnnl_matmul_desc_init(&op, &s, &wd, &b, &d), op: "linear")
                } else {
                    try check(dnnl_matmul_desc_init(&op, &s, &wd, nil, &d), op: "linear")
                }
                return try makeDescriptor(&op, engine: engine, attributes: attributes, kind: "linear")
            }
        }
        let weights = try Storage(descriptor: weightView, buffer: w.storage.buffer)
            .converted(to: primitive.memory(dnnl_query_weights_md), cache: true)
        let out = Storage(uninitialized: dst)
        var arguments = [
            (DNNL_ARG_SRC, Storage(descriptor: src, buffer: x.storage.buffer)), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, out),
        ]
        if let bias, let biasView { arguments.append((DNNL_ARG_BIAS, Storage(descriptor: biasView, buffer: bias.storage.buffer))) }
        if let addend {
            arguments.append((postOpSource(activation == nil ? 0 : 1), Storage(descriptor: dst, buffer: addend.storage.buffer)))
        }
        try primitive.execute(arguments)
        return Tensor(shape: [m, n], storage: out)
    }

    /// `a × b` on oneDNN, either operand optionally transposed through its strides.
    ///
    /// Both are dense row-major with equal ranks; batch axes broadcast.
    static func matmulKernel(_ a: Tensor, transposed ta: Bool, _ b: Tensor, transposed tb: Bool) throws -> Tensor {
        let a = try a.contiguous(), b = try b.contiguous()
        func view(_ t: Tensor, _ transposed: Bool) throws -> MemoryDescriptor {
            var dims = t.shape, strides = rowMajorStrides(t.shape)
            if transposed {
                dims.swapAt(t.rank - 1, t.rank - 2)
                strides.swapAt(t.rank - 1, t.rank - 2)
            }
            return try .strided(dims, strides: strides)
        }
        let left = try view(a, ta), right = try view(b, tb)
        let (ld, rd) = (left.dims, right.dims)
        let batch = try broadcastShape(Array(ld.dropLast(2)), Array(rd.dropLast(2)), op: "matmul")
        let outShape = batch + [ld[ld.count - 2], rd[rd.count - 1]]
        let dst = try MemoryDescriptor.plain(outShape)
        let primitive = try PrimitiveCache.primitive("matmul", left, right) { engine in
            var op = dnnl_matmul_desc_t()
            var l = left.raw, r = right.raw, d = dst.raw
            try check(dnnl_matmul_desc_init(&op, &l, &r, nil, &d), op: "matmul")
            return try makeDescriptor(&op, engine: engine, kind: "matmul")
        }
        let out = Storage(uninitialized: dst)
        try primitive.execute([
            (DNNL_ARG_SRC, Storage(descriptor: left, buffer: a.storage.buffer)),
            (DNNL_ARG_WEIGHTS, Storage(descriptor: right, buffer: b.storage.buffer)), (DNNL_ARG_DST, out),
        ])
        return Tensor(shape: outShape, storage: out)
    }
}

/// Primitive attributes for a linear layer's post-ops, alive during `body` (`nil` without any):
/// the activation, then the addition of a tensor laid out as `addend` (the residual).
func withLinearPostOps<R>(_ function: EltwiseFunction?, adding addend: MemoryDescriptor?, _ body: (dnnl_primitive_attr_t?) throws -> R)
    throws -> R
{
    guard let addend else { return try withEltwisePostOp(function, body) }
    return try withPostOps(op: "linear post-op") { postOps in
        if let function {
            let (algorithm, alpha, beta) = function.algorithm
            try check(dnnl_post_ops_append_eltwise(postOps, 1, algorithm, alpha, beta), op: "linear post-op")
        }
        var raw = addend.raw
        try check(dnnl_post_ops_append_binary(postOps, dnnl_binary_add, &raw), op: "linear post-op")
    } body: {
        try body($0)
    }
}

/// Primitive attributes holding one eltwise post-op, alive during `body` (`nil` without one).
func withEltwisePostOp<R>(_ function: EltwiseFunction?, _ body: (dnnl_primitive_attr_t?) throws -> R) throws -> R {
    guard let function else { return try body(nil) }
    return try withPostOps(op: "eltwise post-op") { postOps in
        let (algorithm, alpha, beta) = function.algorithm
        try check(dnnl_post_ops_append_eltwise(postOps, 1, algorithm, alpha, beta), op: "eltwise post-op")
    } body: {
        try body($0)
    }
}

/// An activation that ``Tensor/linear(weight:bias:activation:)`` applies on the way out of its
/// matmul.
public enum LinearActivation: String, Hashable, Sendable, CaseIterable {
    /// GELU with erf, as `torch.nn.GELU()` (BERT, open_clip's own models).
    case gelu
    /// `x · sigmoid(1.702 x)`, as OpenAI's CLIP (`QuickGELU`).
    case quickGELU = "quickgelu"

    var function: EltwiseFunction {
        switch self {
        case .gelu: return .geluErf
        case .quickGELU: return .swish(alpha: 1.702)
        }
    }
}

extension Tensor {
    /// `activation` applied elementwise on its own, with its gradient.
    public func applying(_ activation: LinearActivation) throws -> Tensor { try eltwise(activation.function) }
}
