import CDNNL

/// The geometry of one 2-D pooling: everything its primitive is keyed on besides layouts.
struct PoolingGeometry: Hashable {
    var input: [Int]
    var output: [Int]
    var kernel: [Int]
    var stride: [Int]
    var dilation: [Int]
    var paddingLeft: [Int]
    var paddingRight: [Int]

    /// Calls `body` with oneDNN's strides, kernel, dilations (counted from 0) and paddings.
    func withArrays<R>(
        _ body: (UnsafePointer<Int64>, UnsafePointer<Int64>, UnsafePointer<Int64>, UnsafePointer<Int64>, UnsafePointer<Int64>) throws -> R
    ) throws -> R {
        try withDimsArrays([stride, kernel, dilation.map { $0 - 1 }, paddingLeft, paddingRight]) { a in
            try body(a[0], a[1], a[2], a[3], a[4])
        }
    }
}

extension Tensor {
    /// 2-D max pooling, as `torch.nn.functional.max_pool2d` (padding counts as −∞).
    public func maxPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
        dilation: (Int, Int) = (1, 1), ceilMode: Bool = false
    ) throws -> Tensor {
        let geometry = try poolingGeometry(
            "max_pool2d", kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: dilation, ceilMode: ceilMode)
        return try pool(dnnl_pooling_max, geometry, name: "max_pool2d")
    }

    /// 2-D average pooling, as `torch.nn.functional.avg_pool2d`.
    ///
    /// With `countIncludePad` the divisor counts padded positions but, in ceil mode, not the
    /// part of a last window that hangs past the padding, exactly as PyTorch does.
    public func avgPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
        ceilMode: Bool = false, countIncludePad: Bool = true
    ) throws -> Tensor {
        let s = stride ?? kernel
        let geometry = try poolingGeometry("avg_pool2d", kernel: kernel, stride: s, padding: padding, dilation: (1, 1), ceilMode: ceilMode)
        guard countIncludePad else { return try pool(dnnl_pooling_avg_exclude_padding, geometry, name: "avg_pool2d") }
        let pooled = try pool(dnnl_pooling_avg_include_padding, geometry, name: "avg_pool2d")
        let overhang = geometry.paddingRight != [padding.0, padding.1]
        guard overhang else { return pooled }
        // oneDNN divides every window by kH·kW; rescale the windows that hang past the padding.
        let (h, w) = (shape[2], shape[3])
        let (oh, ow) = (geometry.output[2], geometry.output[3])
        let correction = try Tensor.plain([1, 1, oh, ow]) { p, _ in
            for i in 0..<oh {
                let rows = Swift.min(i * s.0 - padding.0 + kernel.0, h + padding.0) - (i * s.0 - padding.0)
                for j in 0..<ow {
                    let columns = Swift.min(j * s.1 - padding.1 + kernel.1, w + padding.1) - (j * s.1 - padding.1)
                    p[i * ow + j] = Float(kernel.0 * kernel.1) / Float(rows * columns)
                }
            }
        }
        return try pooled * correction
    }

    private func poolingGeometry(
        _ op: String, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
        dilation: (Int, Int), ceilMode: Bool
    ) throws -> PoolingGeometry {
        try checkRank(4, op: op, name: "the input", layout: "[N, C, H, W]")
        guard kernel.0 > 0, kernel.1 > 0, stride.0 > 0, stride.1 > 0, dilation.0 > 0, dilation.1 > 0 else {
            throw TensorError.invalidArgument(
                op: op, message: "kernel \(kernel), stride \(stride) and dilation \(dilation) must be positive")
        }
        guard padding.0 >= 0, padding.1 >= 0, padding.0 * 2 <= kernel.0, padding.1 * 2 <= kernel.1 else {
            throw TensorError.invalidArgument(op: op, message: "padding \(padding) must be between 0 and half the kernel \(kernel)")
        }
        let oh = windowOutputLength(
            input: shape[2], kernel: kernel.0, stride: stride.0, padding: (padding.0, padding.0), dilation: dilation.0, ceilMode: ceilMode)
        let ow = windowOutputLength(
            input: shape[3], kernel: kernel.1, stride: stride.1, padding: (padding.1, padding.1), dilation: dilation.1, ceilMode: ceilMode)
        guard oh > 0, ow > 0 else {
            throw TensorError.shapeMismatch(
                op: op, shapes: [shape], expected: "the padded input must be at least as large as the kernel \(kernel)")
        }
        let right = [
            (oh - 1) * stride.0 + dilation.0 * (kernel.0 - 1) + 1 - shape[2] - padding.0,
            (ow - 1) * stride.1 + dilation.1 * (kernel.1 - 1) + 1 - shape[3] - padding.1,
        ]
        return PoolingGeometry(
            input: shape, output: [shape[0], shape[1], oh, ow], kernel: [kernel.0, kernel.1],
            stride: [stride.0, stride.1], dilation: [dilation.0, dilation.1],
            paddingLeft: [padding.0, padding.1], paddingRight: right)
    }

    private func pool(_ algorithm: dnnl_alg_kind_t, _ geometry: PoolingGeometry, name: String) throws -> Tensor {
        try checkNoNaN(op: name, name: "input")
        let data = storage.descriptor
        let training = GradMode.isEnabled && record != nil
        let forward = try Tensor.poolingForward(algorithm, geometry, source: data, training: training, name: name)
        let dst = Storage(uninitialized: try forward.memory(dnnl_query_dst_md))
        var arguments = [(DNNL_ARG_SRC, storage), (DNNL_ARG_DST, dst)]
        var workspace: Storage?
        if training, algorithm == dnnl_pooling_max {
            let ws = Storage(uninitialized: try forward.memory(dnnl_query_workspace_md))
            arguments.append((DNNL_ARG_WORKSPACE, ws))
            workspace = ws
        }
        try forward.execute(arguments)
        return Tensor.result(name, shape: geometry.output, storage: dst, inputs: [self]) { g, _ in
            let hint = try Tensor.poolingForward(algorithm, geometry, source: data, training: true, name: name)
            let primitive = try PrimitiveCache.primitive("pool_bwd", algorithm.rawValue, geometry, data) { engine in
                var op = dnnl_pooling_v2_desc_t()
                var diffSrc = data.raw
                var diffDst = try MemoryDescriptor.any(geometry.output).raw
                try geometry.withArrays { s, k, d, l, r in
                    try check(dnnl_pooling_v2_backward_desc_init(&op, algorithm, &diffSrc, &diffDst, s, k, d, l, r), op: name)
                }
                return try makeDescriptor(&op, engine: engine, hint: hint.descriptor, kind: name)
            }
            let diffDst = try g.storage.converted(to: primitive.memory(dnnl_query_diff_dst_md))
            let diffSrc = Storage(uninitialized: try primitive.memory(dnnl_query_diff_src_md))
            var arguments = [(DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_SRC, diffSrc)]
            if let workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace)) }
            try primitive.execute(arguments)
            return [Tensor(shape: geometry.input, storage: diffSrc)]
        }
    }

    private static func poolingForward(
        _ algorithm: dnnl_alg_kind_t, _ geometry: PoolingGeometry, source: MemoryDescriptor,
        training: Bool, name: String
    ) throws -> Primitive {
        try PrimitiveCache.primitive(training ? "pool_fwd_training" : "pool_fwd", algorithm.rawValue, geometry, source) { engine in
            var op = dnnl_pooling_v2_desc_t()
            var src = source.raw
            var dst = try MemoryDescriptor.any(geometry.output).raw
            try geometry.withArrays { s, k, d, l, r in
                try check(
                    dnnl_pooling_v2_forward_desc_init(
                        &op, training ? dnnl_forward_training : dnnl_forward_inference,
                        algorithm, &src, &dst, s, k, d, l, r), op: name)
            }
            return try makeDescriptor(&op, engine: engine, kind: name)
        }
    }

    /// Adaptive average pooling to `outputSize`, as `torch.nn.functional.adaptive_avg_pool2d`.
    ///
    /// Window `i` covers rows `⌊i·H/OH⌋ ..< ⌈(i+1)·H/OH⌉`. When the sizes divide evenly this is
    /// one oneDNN average pooling; otherwise the windows differ in size and a plain-Swift pass
    /// averages them.
    public func adaptiveAvgPool2d(outputSize: (Int, Int)) throws -> Tensor {
        try checkRank(4, op: "adaptive_avg_pool2d", name: "the input", layout: "[N, C, H, W]")
        let (h, w) = (shape[2], shape[3])
        let (oh, ow) = outputSize
        guard oh > 0, ow > 0, h > 0, w > 0 else {
            throw TensorError.invalidArgument(
                op: "adaptive_avg_pool2d", message: "output size \(outputSize) and input \(shape) must be positive")
        }
        if h % oh == 0, w % ow == 0 {
            return try avgPool2d(kernel: (h / oh, w / ow))
        }
        let rows = (0..<oh).map { i in (i * h / oh)..<(((i + 1) * h + oh - 1) / oh) }
        let columns = (0..<ow).map { j in (j * w / ow)..<(((j + 1) * w + ow - 1) / ow) }
        let planes = shape[0] * shape[1]
        let outShape = [shape[0], shape[1], oh, ow]
        let out = try Tensor.plain(outShape) { p, _ in
            try withPlainScalars { x in
                for plane in 0..<planes {
                    for (i, r) in rows.enumerated() {
                        for (j, c) in columns.enumerated() {
                            var total: Float = 0
                            for y in r { for xx in c { total += x[(plane * h + y) * w + xx] } }
                            p[(plane * oh + i) * ow + j] = total / Float(r.count * c.count)
                        }
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.result("adaptive_avg_pool2d", shape: outShape, storage: out.storage, inputs: [self]) { g, _ in
            let gradient = try g.contiguous()
            return [
                try Tensor.plain(inputShape) { p, n in
                    p.update(repeating: 0, count: n)
                    try gradient.withPlainScalars { gp in
                        for plane in 0..<planes {
                            for (i, r) in rows.enumerated() {
                                for (j, c) in columns.enumerated() {
                                    let share = gp[(plane * oh + i) * ow + j] / Float(r.count * c.count)
                                    for y in r { for xx in c { p[(plane * h + y) * w + xx] += share } }
                                }
                            }
                        }
                    }
                }
            ]
        }
    }
}
