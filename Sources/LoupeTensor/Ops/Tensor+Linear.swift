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
        guard rank >= 1, weight.rank == 2, shape[rank - 1] == weight.shape[1] else {
            throw TensorError.shapeMismatch(op: "linear", shapes: [shape, weight.shape], expected: "[…, in] with a weight [out, in]")
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw TensorError.shapeMismatch(
                op: "linear", shapes: [weight.shape, bias.shape], expected: "the bias must be [\(weight.shape[0])]")
        }
        try checkNoNaN(op: "linear", name: "input")
        let features = shape[rank - 1]
        let rows = try contiguous().reshaped(to: [-1, features]).detached()
        let w = try weight.contiguous().detached()
        // x · Wᵀ with W read through transposed strides: no copy of the weight.
        var out = try Tensor.matmulKernel(rows, transposed: false, w, transposed: true)
        let outputShape = Array(shape.dropLast()) + [weight.shape[0]]
        out = try out.reshaped(to: outputShape)
        let inputShape = shape
        let product = Tensor.result("linear", shape: outputShape, storage: out.storage, inputs: [self, weight]) { g, needs in
            let g2 = try g.contiguous().reshaped(to: [-1, w.shape[0]])
            return [
                needs[0] ? try Tensor.matmulKernel(g2, transposed: false, w, transposed: false).reshaped(to: inputShape) : nil,
                needs[1] ? try Tensor.matmulKernel(g2, transposed: true, rows, transposed: false) : nil,
            ]
        }
        guard let bias else { return product }
        return try product + bias
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
