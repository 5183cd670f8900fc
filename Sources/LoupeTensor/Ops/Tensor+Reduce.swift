import CDNNL

/// Reductions: sums and means on oneDNN's reduction primitive; maxima, arg-maxima and top-k
/// in plain Swift (one pass over the data).
extension Tensor {
    /// The sum over `axes` (all axes by default), as `torch.sum(x, dims, keepdim)`.
    public func sum(axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Tensor {
        try reduce(dnnl_reduction_sum, name: "sum", axes: axes, keepingDimensions: keepingDimensions)
    }

    /// The mean over `axes` (all axes by default), as `torch.mean(x, dims, keepdim)`.
    public func mean(axes: [Int]? = nil, keepingDimensions: Bool = false) throws -> Tensor {
        try reduce(dnnl_reduction_mean, name: "mean", axes: axes, keepingDimensions: keepingDimensions)
    }

    /// Sums a broadcast gradient back to `target`, the shape of the operand that was broadcast.
    func sum(toShape target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let extra = shape.count - target.count
        guard extra >= 0 else {
            throw TensorError.shapeMismatch(op: "sum(toShape:)", shapes: [shape, target], expected: "target rank at most the source rank")
        }
        let padded = [Int](repeating: 1, count: extra) + target
        let axes = shape.indices.filter { padded[$0] == 1 && shape[$0] != 1 }
        let summed = axes.isEmpty ? self : try sum(axes: axes, keepingDimensions: true)
        return try summed.reshaped(to: target)
    }

    func normalizedAxes(_ axes: [Int]?, op: String) throws -> [Int] {
        guard let axes else { return Array(shape.indices) }
        let resolved = try axes.map { try normalizedAxis($0, op: op) }
        guard Set(resolved).count == resolved.count else {
            throw TensorError.invalidArgument(op: op, message: "axis repeated in \(axes)")
        }
        return resolved.sorted()
    }

    /// `axis` with negative values counted from the end (`-1` is the last axis).
    func normalizedAxis(_ axis: Int, op: String, rank: Int? = nil) throws -> Int {
        let r = rank ?? shape.count
        let resolved = axis < 0 ? axis + r : axis
        guard resolved >= 0, resolved < Swift.max(r, 1) else {
            throw TensorError.outOfRange(op: op, index: axis, bound: r, shape: shape)
        }
        return resolved
    }

    private func reduce(_ algorithm: dnnl_alg_kind_t, name: String, axes: [Int]?, keepingDimensions: Bool) throws -> Tensor {
        let reduced = try normalizedAxes(axes, op: name)
        let kept = shape.indices.map { reduced.contains($0) ? 1 : shape[$0] }
        let finalShape = keepingDimensions ? kept : shape.indices.filter { !reduced.contains($0) }.map { shape[$0] }
        let out: Storage
        if reduced.isEmpty || shape.isEmpty || kept == shape {
            // Nothing to reduce, or only axes of extent 1 (oneDNN refuses a reduction whose
            // source and destination have the same dimensions): the values themselves.
            out = try contiguous().storage
        } else if count == 0 {
            out = try Tensor.full(kept, value: algorithm == dnnl_reduction_sum ? 0 : .nan).storage
        } else {
            let src = try contiguous().storage
            let dstDescriptor = try MemoryDescriptor.plain(kept)
            let primitive = try PrimitiveCache.primitive("reduction", algorithm.rawValue, src.descriptor, dstDescriptor) { engine in
                var op = dnnl_reduction_desc_t()
                var s = src.descriptor.raw, d = dstDescriptor.raw
                try check(dnnl_reduction_desc_init(&op, algorithm, &s, &d, 0, 0), op: name)
                return try makeDescriptor(&op, engine: engine, kind: name)
            }
            let leading = reduced.enumerated().prefix { $0.offset == $0.element }.count
            let run = reduced.count == (reduced.last ?? 0) - (reduced.first ?? 0) + 1
            if primitive.isReference, leading == 0, run, let first = reduced.first, let last = reduced.last, last < shape.count - 1 {
                // A run of middle axes (attention pooling's mean over positions, [N, T, C]) also
                // gets the reference kernel on AVX2: the same product with ones, batched over
                // the axes before the run.
                out = try reducingMiddleAxes(first...last, mean: algorithm == dnnl_reduction_mean)
            } else if primitive.isReference, leading > 0 {
                // oneDNN 2.6 reduces leading axes (a bias gradient's batch axis) with its
                // reference kernel only, on AVX2 and older: reduce the other axes, then sum the
                // leading ones as a product with a row of ones (or of 1/n for a mean).
                out = try reducingLeadingAxes(leading, of: reduced, mean: algorithm == dnnl_reduction_mean)
            } else {
                out = Storage(uninitialized: dstDescriptor)
                try primitive.execute([(DNNL_ARG_SRC, src), (DNNL_ARG_DST, out)])
            }
        }
        let inputShape = shape
        let divisor = Float(reduced.reduce(1) { $0 * shape[$1] })
        let result = Tensor(shape: kept, storage: Storage(descriptor: try .plain(kept), buffer: out.buffer))
        let shaped = try result.reshaped(to: finalShape)
        return Tensor.result(name, shape: finalShape, storage: shaped.storage, inputs: [self]) { g, _ in
            let expanded = try g.reshaped(to: kept).broadcast(to: inputShape)
            return [algorithm == dnnl_reduction_mean ? try expanded * (1 / Swift.max(divisor, 1)) : expanded]
        }
    }

    /// The sum, or with `mean` the mean, over `reduced` (sorted axes whose first `leading` are `0..<leading`) as
    /// plain memory of the kept shape, with the leading axes summed by a matmul.
    func reducingLeadingAxes(_ leading: Int, of reduced: [Int], mean: Bool) throws -> Storage {
        let rest = Array(reduced.dropFirst(leading))
        var partial = try contiguous().detached()
        if !rest.isEmpty {
            partial = try (mean ? partial.mean(axes: rest, keepingDimensions: true) : partial.sum(axes: rest, keepingDimensions: true))
                .detached()
        }
        let outer = shape.prefix(leading).reduce(1, *)
        let inner = partial.count / Swift.max(outer, 1)
        let weight: Float = mean ? 1 / Float(outer) : 1
        let ones = try Tensor.full([1, outer], value: weight)
        return try Tensor.matmulKernel(ones, transposed: false, try partial.reshaped(to: [outer, inner]), transposed: false).storage
    }

    /// The sum (or mean) over a run of axes that neither starts nor ends the shape, as the
    /// batched product `[A, 1, R] × [A, R, B]` of a row of ones (or of 1/R) with the values,
    /// `A` the axes before the run, `R` the run, `B` the axes after it.
    func reducingMiddleAxes(_ axes: ClosedRange<Int>, mean: Bool) throws -> Storage {
        let outer = shape[..<axes.lowerBound].reduce(1, *)
        let length = shape[axes].reduce(1, *)
        let inner = shape[(axes.upperBound + 1)...].reduce(1, *)
        let ones = try Tensor.full([outer, 1, length], value: mean ? 1 / Float(length) : 1)
        let values = try contiguous().detached().reshaped(to: [outer, length, inner])
        return try Tensor.matmulKernel(ones, transposed: false, values, transposed: false).storage
    }

    /// The maximum along `axis` and where it is, as `torch.max(x, dim, keepdim)`.
    ///
    /// The gradient flows to the position of the first maximum, as PyTorch's does.
    public func max(axis: Int, keepingDimensions: Bool = false) throws -> (values: Tensor, indices: [Int]) {
        let a = try normalizedAxis(axis, op: "max")
        let (values, indices, keptShape) = try extremum(axis: a, op: "max")
        var finalShape = keptShape
        if !keepingDimensions { finalShape.remove(at: a) }
        let valueTensor = try Tensor(shape: finalShape, scalars: values)
        let inputShape = shape
        let tracked = Tensor.result("max", shape: finalShape, storage: valueTensor.storage, inputs: [self]) { g, _ in
            let gradient = try g.scalars
            let (outer, length, inner) = Tensor.split(inputShape, at: a)
            return [
                try Tensor.plain(inputShape) { p, n in
                    p.update(repeating: 0, count: n)
                    for o in 0..<outer {
                        for i in 0..<inner {
                            let slot = o * inner + i
                            p[(o * length + indices[slot]) * inner + i] = gradient[slot]
                        }
                    }
                }
            ]
        }
        return (tracked, indices)
    }

    /// The index of the largest element along `axis` (the first one when tied).
    public func argmax(axis: Int) throws -> [Int] {
        try extremum(axis: axis, op: "argmax").indices
    }

    /// The `k` largest elements along the last axis, largest first, and their indices.
    ///
    /// - Returns: values shaped like the input with the last axis cut to `k`, and the indices
    ///   in the same row-major order.
    public func topK(_ k: Int, axis: Int = -1) throws -> (values: Tensor, indices: [Int]) {
        let a = try normalizedAxis(axis, op: "topK")
        guard rank > 0, k >= 0, k <= shape[a] else {
            throw TensorError.invalidArgument(op: "topK", message: "k = \(k) must be in 0...\(rank > 0 ? shape[a] : 0) for shape \(shape)")
        }
        let (outer, length, inner) = Tensor.split(shape, at: a)
        var outShape = shape
        outShape[a] = k
        var values = [Float](repeating: 0, count: outer * k * inner)
        var indices = [Int](repeating: 0, count: outer * k * inner)
        try withPlainScalars { p in
            var row = [Int](repeating: 0, count: length)
            for o in 0..<outer {
                for i in 0..<inner {
                    let at = { (j: Int) in p[(o * length + j) * inner + i] }
                    for j in 0..<length { row[j] = j }
                    // Largest first; ties keep the lower index first. NaN counts as largest, as in PyTorch.
                    row.sort { x, y in
                        let vx = at(x), vy = at(y)
                        if vx.isNaN != vy.isNaN { return vx.isNaN }
                        return vx > vy || (vx == vy && x < y)
                    }
                    for j in 0..<k {
                        values[(o * k + j) * inner + i] = at(row[j])
                        indices[(o * k + j) * inner + i] = row[j]
                    }
                }
            }
        }
        return (try Tensor(shape: outShape, scalars: values), indices)
    }

    private func extremum(axis: Int, op: String) throws -> (values: [Float], indices: [Int], keptShape: [Int]) {
        let a = try normalizedAxis(axis, op: op)
        guard rank > 0, shape[a] > 0 else {
            throw TensorError.invalidArgument(op: op, message: "cannot reduce an empty axis of shape \(shape)")
        }
        let (outer, length, inner) = Tensor.split(shape, at: a)
        var kept = shape
        kept[a] = 1
        var values = [Float](repeating: 0, count: outer * inner)
        var indices = [Int](repeating: 0, count: outer * inner)
        try withPlainScalars { p in
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = p[o * length * inner + i]
                    var where_ = 0
                    if !best.isNaN {
                        for j in 1..<length {
                            let v = p[(o * length + j) * inner + i]
                            if v > best || v.isNaN { best = v; where_ = j; if v.isNaN { break } }
                        }
                    }
                    values[o * inner + i] = best
                    indices[o * inner + i] = where_
                }
            }
        }
        return (values, indices, kept)
    }

    /// Splits a shape around `axis` into (elements before, length of axis, elements after).
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, length: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }
}
