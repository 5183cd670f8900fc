import CDNNL

extension Tensor {
    /// `exp(x) / Σ exp(x)` along `axis`, as `torch.softmax`.
    public func softmax(axis: Int = -1) throws -> Tensor {
        try softmax(dnnl_softmax_accurate, axis: axis, name: "softmax")
    }

    /// `x − log Σ exp(x)` along `axis`, as `torch.log_softmax`.
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        try softmax(dnnl_softmax_log, axis: axis, name: "log_softmax")
    }

    private func softmax(_ algorithm: dnnl_alg_kind_t, axis: Int, name: String) throws -> Tensor {
        let a = try normalizedAxis(axis, op: name)
        if rank == 0 { return try reshaped(to: [1]).softmax(algorithm, axis: 0, name: name).reshaped(to: []) }
        try checkNoNaN(op: name, name: "input")
        let source = try contiguous().detached()
        let data = source.storage.descriptor
        let forward = try PrimitiveCache.primitive("softmax_fwd", algorithm.rawValue, a, data) { engine in
            var op = dnnl_softmax_v2_desc_t()
            var s = data.raw, d = data.raw
            try check(dnnl_softmax_v2_forward_desc_init(&op, dnnl_forward_training, algorithm, &s, &d, Int32(a)), op: name)
            return try makeDescriptor(&op, engine: engine, kind: name)
        }
        let dst = Storage(uninitialized: data)
        try forward.execute([(DNNL_ARG_SRC, source.storage), (DNNL_ARG_DST, dst)])
        let outputShape = shape
        return Tensor.result(name, shape: shape, storage: dst, inputs: [self]) { g, _ in
            let primitive = try PrimitiveCache.primitive("softmax_bwd", algorithm.rawValue, a, data) { engine in
                var op = dnnl_softmax_v2_desc_t()
                var diffSrc = data.raw, diffDst = data.raw, d = data.raw
                try check(dnnl_softmax_v2_backward_desc_init(&op, algorithm, &diffSrc, &diffDst, &d, Int32(a)), op: name)
                return try makeDescriptor(&op, engine: engine, hint: forward.descriptor, kind: name)
            }
            if primitive.isReference {
                // oneDNN 2.6 has only its reference kernel for some softmax backward passes on
                // AVX2 and older (log-softmax along the last axis): the same formula in JIT ops.
                return [
                    try Tensor.softmaxGradient(
                        g, output: Tensor(shape: outputShape, storage: dst), axis: a, log: algorithm == dnnl_softmax_log)
                ]
            }
            let diffDst = try g.contiguous().storage
            let diffSrc = Storage(uninitialized: data)
            try primitive.execute([(DNNL_ARG_DST, dst), (DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_SRC, diffSrc)])
            return [Tensor(shape: source.shape, storage: diffSrc)]
        }
    }

    /// The input gradient of softmax (or log-softmax, `log`) along `axis` from its output `y` and
    /// the output gradient `g`, in elementwise ops and a sum: `y · (g − Σ g·y)`, or `g − exp(y) · Σ g`.
    static func softmaxGradient(_ g: Tensor, output y: Tensor, axis: Int, log: Bool) throws -> Tensor {
        let g = try g.contiguous().detached()
        if log { return try g - y.exp() * (try g.sum(axes: [axis], keepingDimensions: true).spread(along: axis, to: y.shape[axis])) }
        return try y * (g - (try (g * y).sum(axes: [axis], keepingDimensions: true).spread(along: axis, to: y.shape[axis])))
    }

    /// A tensor of extent 1 along `axis` repeated `length` times along it, as plain memory.
    ///
    /// The same ISAs that lack a JIT softmax backward lack one for a binary op that broadcasts
    /// along the last axis; for that axis the copies are a product with a row of ones (a JIT
    /// matmul), so that the subtraction that follows broadcasts nothing.
    func spread(along axis: Int, to length: Int) throws -> Tensor {
        let target = shape.indices.map { $0 == axis ? length : shape[$0] }
        guard axis == rank - 1 else { return try broadcast(to: target).contiguous() }
        let rows = try contiguous().reshaped(to: [count, 1])
        let ones = try Tensor.full([1, length], value: 1)
        return try Tensor.matmulKernel(rows, transposed: false, ones, transposed: false).reshaped(to: target)
    }
}
