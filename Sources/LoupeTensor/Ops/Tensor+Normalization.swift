import CDNNL

extension Tensor {
    /// Batch normalisation in inference mode, as `F.batch_norm(x, mean, var, weight, bias,
    /// training=False, eps=eps)`: `(x − mean) / √(var + eps) · weight + bias` per channel.
    ///
    /// The input is `[N, C, …]`; the four statistics are `[C]`. Forward and the input gradient
    /// run on oneDNN; the gradients of `weight` and `bias`, when asked for, are two reductions.
    public func batchNorm(mean: Tensor, variance: Tensor, weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        guard rank >= 2 else {
            throw TensorError.shapeMismatch(op: "batch_norm", shapes: [shape], expected: "the input must be [N, C, …]")
        }
        let c = shape[1]
        for (name, t) in [("running_mean", mean), ("running_var", variance), ("weight", weight), ("bias", bias)] where t.shape != [c] {
            throw TensorError.shapeMismatch(op: "batch_norm", shapes: [shape, t.shape], expected: "\(name) must be [\(c)]")
        }
        guard epsilon >= 0 else {
            throw TensorError.invalidArgument(op: "batch_norm", message: "eps \(epsilon) must not be negative")
        }
        try checkNoNaN(op: "batch_norm", name: "input")
        let data = storage.descriptor
        let flags = UInt32(dnnl_use_global_stats.rawValue | dnnl_use_scale.rawValue | dnnl_use_shift.rawValue)
        let forward = try PrimitiveCache.primitive("bnorm_fwd", epsilon, data) { engine in
            var op = dnnl_batch_normalization_desc_t()
            var md = data.raw
            try check(dnnl_batch_normalization_forward_desc_init(&op, dnnl_forward_inference, &md, epsilon, flags), op: "batch_norm")
            return try makeDescriptor(&op, engine: engine, kind: "batch_norm")
        }
        let statistics = try [mean, variance, weight, bias].map { try $0.contiguous().storage }
        let dst = Storage(uninitialized: try forward.memory(dnnl_query_dst_md))
        try forward.execute([
            (DNNL_ARG_SRC, storage), (DNNL_ARG_MEAN, statistics[0]), (DNNL_ARG_VARIANCE, statistics[1]),
            (DNNL_ARG_SCALE, statistics[2]), (DNNL_ARG_SHIFT, statistics[3]), (DNNL_ARG_DST, dst),
        ])
        let input = self
        return Tensor.result("batch_norm", shape: shape, storage: dst, inputs: [self, weight, bias]) { g, needs in
            var gradients: [Tensor?] = [nil, nil, nil]
            if needs[0] {
                // In inference the statistics are constants, so the input gradient is g scaled per
                // channel by weight / √(var + eps): a batch norm of g with mean 0, the same variance
                // and weight, and no shift, on oneDNN's JIT kernel in g's layout. (oneDNN 2.6 has no
                // backward batch norm with global statistics, and its per-channel binary multiply on
                // blocked memory falls back to the reference kernel.)
                let zeros = try Tensor.zeros([c])
                gradients[0] = try g.detached().batchNorm(
                    mean: zeros, variance: variance.detached(), weight: weight.detached(),
                    bias: zeros, epsilon: epsilon)
            }
            // For the affine parameters: d/dweight = Σ g · x̂ and d/dbias = Σ g over all but the channel axis.
            let axes = input.shape.indices.filter { $0 != 1 }
            if needs[1] {
                let shaped = [1, c] + [Int](repeating: 1, count: input.rank - 2)
                let scale = try (variance.detached() + epsilon).sqrt().reshaped(to: shaped)
                let normalized = try (input.detached() - mean.detached().reshaped(to: shaped)) / scale
                gradients[1] = try (g * normalized).sum(axes: axes)
            }
            if needs[2] { gradients[2] = try g.sum(axes: axes) }
            return gradients
        }
    }

    /// Layer normalisation over the trailing `normalizedShape` axes, as `F.layer_norm`.
    ///
    /// `weight` and `bias` have shape `normalizedShape`. Runs on oneDNN forward and backward.
    public func layerNorm(normalizedShape: [Int], weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        guard !normalizedShape.isEmpty, normalizedShape.count <= rank, Array(shape.suffix(normalizedShape.count)) == normalizedShape else {
            throw TensorError.shapeMismatch(
                op: "layer_norm", shapes: [shape, normalizedShape], expected: "the input must end with the normalized shape")
        }
        for (name, t) in [("weight", weight), ("bias", bias)] where t.shape != normalizedShape {
            throw TensorError.shapeMismatch(
                op: "layer_norm", shapes: [normalizedShape, t.shape], expected: "\(name) must have the normalized shape")
        }
        try checkNoNaN(op: "layer_norm", name: "input")
        let features = normalizedShape.reduce(1, *)
        let rows = count / Swift.max(features, 1)
        let flat = try contiguous().reshaped(to: [rows, features]).detached()
        let data = flat.storage.descriptor
        let statisticsDescriptor = try MemoryDescriptor.plain([rows])
        let flags = UInt32(dnnl_use_scale.rawValue | dnnl_use_shift.rawValue)
        let forward = try PrimitiveCache.primitive("lnorm_fwd", epsilon, data) { engine in
            var op = dnnl_layer_normalization_desc_t()
            var md = data.raw, stat = statisticsDescriptor.raw
            try check(dnnl_layer_normalization_forward_desc_init(&op, dnnl_forward_training, &md, &stat, epsilon, flags), op: "layer_norm")
            return try makeDescriptor(&op, engine: engine, kind: "layer_norm")
        }
        let scale = try weight.contiguous().reshaped(to: [features]).storage
        let shift = try bias.contiguous().reshaped(to: [features]).storage
        let mean = Storage(uninitialized: statisticsDescriptor), variance = Storage(uninitialized: statisticsDescriptor)
        let dst = Storage(uninitialized: data)
        try forward.execute([
            (DNNL_ARG_SRC, flat.storage), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
            (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance), (DNNL_ARG_DST, dst),
        ])
        let inputShape = shape
        let output = Storage(descriptor: try .plain(shape), buffer: dst.buffer)
        return Tensor.result("layer_norm", shape: shape, storage: output, inputs: [self, weight, bias]) { g, needs in
            let primitive = try PrimitiveCache.primitive("lnorm_bwd", epsilon, data) { engine in
                var op = dnnl_layer_normalization_desc_t()
                var diff = data.raw, md = data.raw, stat = statisticsDescriptor.raw
                try check(
                    dnnl_layer_normalization_backward_desc_init(&op, dnnl_backward, &diff, &md, &stat, epsilon, flags),
                    op: "layer_norm backward")
                return try makeDescriptor(&op, engine: engine, hint: forward.descriptor, kind: "layer_norm backward")
            }
            let diffDst = try g.contiguous().storage
            let diffSrc = Storage(uninitialized: data)
            let plainParameters = try MemoryDescriptor.plain([features])
            let diffScale = Storage(uninitialized: plainParameters), diffShift = Storage(uninitialized: plainParameters)
            try primitive.execute([
                (DNNL_ARG_SRC, flat.storage), (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
                (DNNL_ARG_DIFF_DST, Storage(descriptor: data, buffer: diffDst.buffer)), (DNNL_ARG_SCALE, scale), (DNNL_ARG_SHIFT, shift),
                (DNNL_ARG_DIFF_SRC, diffSrc), (DNNL_ARG_DIFF_SCALE, diffScale), (DNNL_ARG_DIFF_SHIFT, diffShift),
            ])
            return [
                needs[0] ? Tensor(shape: inputShape, storage: Storage(descriptor: try .plain(inputShape), buffer: diffSrc.buffer)) : nil,
                needs[1]
                    ? Tensor(shape: normalizedShape, storage: Storage(descriptor: try .plain(normalizedShape), buffer: diffScale.buffer))
                    : nil,
                needs[2]
                    ? Tensor(shape: normalizedShape, storage: Storage(descriptor: try .plain(normalizedShape), buffer: diffShift.buffer))
                    : nil,
            ]
        }
    }
}
