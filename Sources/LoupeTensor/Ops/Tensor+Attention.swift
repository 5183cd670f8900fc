import CDNNL

extension Tensor {
    /// Multi-head scaled dot-product attention on packed projections: `self` is `[B, T, 3·W]`,
    /// the queries, keys and values side by side along the last axis (what one linear layer with
    /// the three weights stacked gives), and the result is `[B, T, W]`, the heads' outputs side
    /// by side, as `softmax(q·kᵀ/√(W/heads) + mask)·v` per head.
    ///
    /// Without a gradient to record this is three oneDNN primitives that read the packed tensor
    /// in place through strides: one matmul for the scores with the scale and the mask fused,
    /// an in-place softmax, and one matmul that writes every head's output into its columns of
    /// the result. With one, it runs the same arithmetic as separate differentiable ops.
    ///
    /// - Parameters:
    ///   - heads: how many heads `W` splits into.
    ///   - mask: added to the scores `[B, heads, T, T]` (0 for a key to attend to, a very
    ///     negative number for one not to): `[B, 1, 1, T]` for padding, `[1, 1, T, T]` for a
    ///     causal model's future, or `[B, 1, T, T]` for both; `nil` attends to every key.
    /// - Returns: `[B, T, W]`, head `h`'s output in columns `h·W/heads ..< (h+1)·W/heads`.
    /// - Throws: ``TensorError/shapeMismatch(op:shapes:expected:)`` when the shapes do not fit,
    ///   ``TensorError/invalidArgument(op:message:)`` when `heads` does not divide `W`.
    public func packedAttention(heads: Int, mask: Tensor?) throws -> Tensor {
        guard rank == 3, shape[2] % 3 == 0 else {
            throw TensorError.shapeMismatch(op: "attention", shapes: [shape], expected: "[B, T, 3·W]: queries, keys and values")
        }
        let (batch, length, width) = (shape[0], shape[1], shape[2] / 3)
        guard heads >= 1, width % heads == 0 else {
            throw TensorError.invalidArgument(op: "attention", message: "width \(width) does not divide into \(heads) heads")
        }
        if let mask {
            guard mask.rank == 4, [1, batch].contains(mask.shape[0]), mask.shape[1] == 1, [1, length].contains(mask.shape[2]),
                mask.shape[3] == length
            else {
                throw TensorError.shapeMismatch(
                    op: "attention", shapes: [shape, mask.shape], expected: "a mask [\(batch) or 1, 1, \(length) or 1, \(length)]")
            }
        }
        let size = width / heads
        let scale = 1 / Float(size).squareRoot()
        if GradMode.isEnabled && (record != nil || mask?.record != nil) {
            // [B, T, W] → [B, heads, T, size]
            func head(_ part: Int) throws -> Tensor {
                try slice(axis: 2, (part * width)..<((part + 1) * width)).reshaped(to: [batch, length, heads, size]).permuted([0, 2, 1, 3])
            }
            var scores = try head(0).matmul(try head(1).transposed()) * scale
            if let mask { scores = try scores + mask }
            let mixed = try scores.softmax(axis: -1).matmul(try head(2))
            return try mixed.permuted([0, 2, 1, 3]).contiguous().reshaped(to: [batch, length, width])
        }
        let packed = try contiguous()
        // Row (b, t) holds part p (query, key, value) of head h at b·T·3W + t·3W + p·W + h·size;
        // one reorder makes each part's heads contiguous, [3, B, heads, T, size].
        let rowStride = 3 * width
        let split = try Storage(
            descriptor: try .strided(
                [3, batch, heads, length, size], strides: [width, length * rowStride, size, rowStride, 1]),
            buffer: packed.storage.buffer
        ).converted(to: try .plain([3, batch, heads, length, size]))
        let buffer = split.buffer
        let partBytes = batch * length * width * MemoryLayout<Float>.stride
        let queries = try MemoryDescriptor.plain([batch, heads, length, size])
        let keysTransposed = try MemoryDescriptor.strided(
            [batch, heads, size, length], strides: [heads * length * size, length * size, 1, size])
        let values = queries
        let scores = try MemoryDescriptor.plain([batch, heads, length, length])
        // oneDNN 2.6's matmul has JIT kernels for a mask broadcast over heads and queries
        // ([B, 1, 1, T]) or over heads alone ([B, 1, T, T]), but only a reference one for a mask
        // broadcast over the batch and heads ([1, 1, T, T]): that one is spelled out per row.
        var mask = mask
        if let given = mask, given.shape[0] == 1, batch > 1, given.shape[2] > 1 {
            mask = try given.broadcast(to: [batch, 1, length, length]).contiguous()
        }
        let maskView = try MemoryDescriptor.plain(mask?.shape ?? [batch, 1, 1, length])
        // The result [B, T, W] seen as [B, heads, T, size].
        let mixed = try MemoryDescriptor.strided([batch, heads, length, size], strides: [length * width, size, width, 1])

        let scoring = try PrimitiveCache.primitive("attention_scores", queries, keysTransposed, mask.map { _ in maskView }, scale) {
            engine in
            try withPostOps(op: "attention") { postOps in
                if mask != nil {
                    var m = maskView.raw
                    try check(dnnl_post_ops_append_binary(postOps, dnnl_binary_add, &m), op: "attention")
                }
            } body: { attributes in
                var factor = scale
                try check(dnnl_primitive_attr_set_output_scales(attributes, 1, 0, &factor), op: "attention")
                var op = dnnl_matmul_desc_t()
                var q = queries.raw, k = keysTransposed.raw, d = scores.raw
                try check(dnnl_matmul_desc_init(&op, &q, &k, nil, &d), op: "attention")
                return try makeDescriptor(&op, engine: engine, attributes: attributes, kind: "attention")
            }
        }
        let weights = Storage(uninitialized: scores)
        var arguments = [
            (DNNL_ARG_SRC, Storage(descriptor: queries, buffer: buffer)),
            (DNNL_ARG_WEIGHTS, Storage(descriptor: keysTransposed, buffer: buffer, byteOffset: partBytes)),
            (DNNL_ARG_DST, weights),
        ]
        if let mask {
            arguments.append((postOpSource(0), Storage(descriptor: maskView, buffer: try mask.contiguous().storage.buffer)))
        }
        try scoring.execute(arguments)

        let normalizing = try PrimitiveCache.primitive("attention_softmax", scores) { engine in
            var op = dnnl_softmax_v2_desc_t()
            var s = scores.raw, d = scores.raw
            try check(dnnl_softmax_v2_forward_desc_init(&op, dnnl_forward_inference, dnnl_softmax_accurate, &s, &d, 3), op: "attention")
            return try makeDescriptor(&op, engine: engine, kind: "attention")
        }
        try normalizing.execute([(DNNL_ARG_SRC, weights), (DNNL_ARG_DST, weights)])

        let mixing = try PrimitiveCache.primitive("attention_mix", scores, values, mixed) { engine in
            var op = dnnl_matmul_desc_t()
            var w = scores.raw, v = values.raw, d = mixed.raw
            try check(dnnl_matmul_desc_init(&op, &w, &v, nil, &d), op: "attention")
            return try makeDescriptor(&op, engine: engine, kind: "attention")
        }
        let out = Storage(uninitialized: try .plain([batch, length, width]))
        try mixing.execute([
            (DNNL_ARG_SRC, weights), (DNNL_ARG_WEIGHTS, Storage(descriptor: values, buffer: buffer, byteOffset: 2 * partBytes)),
            (DNNL_ARG_DST, Storage(descriptor: mixed, buffer: out.buffer)),
        ])
        return Tensor(shape: [batch, length, width], storage: out)
    }
}
