import CDNNL

/// Movement operations: reshape, broadcast, permute, slice, concatenate.
///
/// Reshape is a view of dense memory; the others copy through oneDNN reorders (a permuted or
/// sliced view described by strides is reordered into fresh dense memory).
extension Tensor {
    /// The same elements in a new shape, as `torch.reshape`; one dimension may be `-1`.
    public func reshaped(to newShape: [Int]) throws -> Tensor {
        let resolved = try resolve(newShape)
        if resolved == shape { return self }
        let plain = try contiguous()
        let storage = Storage(descriptor: try .plain(resolved), buffer: plain.storage.buffer)
        let original = shape
        return Tensor.result("reshape", shape: resolved, storage: storage, inputs: [plain]) { g, _ in
            [try g.reshaped(to: original)]
        }
    }

    private func resolve(_ newShape: [Int]) throws -> [Int] {
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1, !newShape.contains(where: { $0 < -1 }) else {
            throw TensorError.invalidArgument(
                op: "reshape", message: "shape \(newShape) may contain at most one -1 and no other negative size")
        }
        var resolved = newShape
        let known = newShape.filter { $0 != -1 }.reduce(1, *)
        if let i = inferred.first {
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch(
                    op: "reshape", shapes: [shape, newShape], expected: "\(count) elements must divide into the known sizes")
            }
            resolved[i] = count / known
        }
        guard resolved.reduce(1, *) == count else {
            throw TensorError.shapeMismatch(op: "reshape", shapes: [shape, newShape], expected: "the same number of elements (\(count))")
        }
        return resolved
    }

    /// Flattens axes `startAxis...endAxis` into one, as `torch.flatten`.
    public func flattened(from startAxis: Int = 0, through endAxis: Int = -1) throws -> Tensor {
        if rank == 0 { return try reshaped(to: [1]) }
        let s = try normalizedAxis(startAxis, op: "flatten"), e = try normalizedAxis(endAxis, op: "flatten")
        guard s <= e else {
            throw TensorError.invalidArgument(op: "flatten", message: "start axis \(startAxis) comes after end axis \(endAxis)")
        }
        return try reshaped(to: Array(shape[..<s]) + [shape[s...e].reduce(1, *)] + Array(shape[(e + 1)...]))
    }

    /// Inserts a unit axis at `axis`.
    public func unsqueezed(at axis: Int) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "unsqueeze", rank: rank + 1)
        var s = shape
        s.insert(1, at: a)
        return try reshaped(to: s)
    }

    /// Removes the unit axis `axis`.
    public func squeezed(at axis: Int) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "squeeze")
        guard shape[a] == 1 else {
            throw TensorError.invalidArgument(op: "squeeze", message: "axis \(axis) of shape \(shape) has size \(shape[a]), not 1")
        }
        var s = shape
        s.remove(at: a)
        return try reshaped(to: s)
    }

    /// The tensor repeated along its unit (or missing leading) axes to `target`, as `expand`.
    public func broadcast(to target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let outShape = try broadcastShape(shape, target, op: "broadcast")
        guard outShape == target else {
            throw TensorError.shapeMismatch(op: "broadcast", shapes: [shape, target], expected: "the shape must broadcast to the target")
        }
        // A stride of 0 repeats an axis. The trailing axes that all repeat (or all copy a
        // contiguous run of the source) form one run, filled (or copied) at once; an odometer
        // walks the axes before it.
        let padded = [Int](repeating: 1, count: target.count - rank) + shape
        var strides = [Int](repeating: 0, count: target.count)
        var running = 1
        for axis in stride(from: target.count - 1, through: 0, by: -1) {
            strides[axis] = padded[axis] == 1 ? 0 : running
            running *= padded[axis]
        }
        let repeats = strides[target.count - 1] == 0
        var first = target.count - 1, run = target[first]
        while first > 0, repeats ? strides[first - 1] == 0 : strides[first - 1] == run {
            first -= 1
            run *= target[first]
        }
        let out = try Tensor.plain(target) { p, n in
            try withPlainScalars { src in
                var index = [Int](repeating: 0, count: first)
                var offset = 0
                for start in stride(from: 0, to: n, by: Swift.max(run, 1)) {
                    if repeats {
                        (p + start).initialize(repeating: src[offset], count: run)
                    } else {
                        (p + start).initialize(from: src + offset, count: run)
                    }
                    var axis = first - 1
                    while axis >= 0 {
                        index[axis] += 1
                        offset += strides[axis]
                        if index[axis] < target[axis] { break }
                        offset -= strides[axis] * index[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        let original = shape
        return Tensor.result("broadcast", shape: target, storage: out.storage, inputs: [self]) { g, _ in
            [try g.sum(toShape: original)]
        }
    }

    /// The axes reordered so that axis `i` of the result is axis `axes[i]` of this tensor.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        let resolved = try axes.map { try normalizedAxis($0, op: "permute") }
        guard resolved.count == rank, Set(resolved).count == rank else {
            throw TensorError.invalidArgument(op: "permute", message: "\(axes) is not a permutation of the \(rank) axes of shape \(shape)")
        }
        if resolved == Array(0..<rank) { return self }
        let plain = try contiguous()
        let strides = Self.rowMajorStrides(shape)
        let view = try MemoryDescriptor.strided(resolved.map { shape[$0] }, strides: resolved.map { strides[$0] })
        let outShape = resolved.map { shape[$0] }
        let out = try Storage(descriptor: view, buffer: plain.storage.buffer).converted(to: .plain(outShape))
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in resolved.enumerated() { inverse[a] = i }
        return Tensor.result("permute", shape: outShape, storage: out, inputs: [self]) { g, _ in
            [try g.permuted(inverse)]
        }
    }

    /// Swaps two axes.
    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) throws -> Tensor {
        var axes = Array(0..<rank)
        let a = try normalizedAxis(axis0, op: "transpose"), b = try normalizedAxis(axis1, op: "transpose")
        axes.swapAt(a, b)
        return try permuted(axes)
    }

    /// Elements `range` along `axis`, as `x.narrow(axis, start, length)`.
    public func slice(axis: Int, _ range: Range<Int>) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            throw TensorError.outOfRange(
                op: "slice", index: range.upperBound > shape[a] ? range.upperBound : range.lowerBound, bound: shape[a] + 1, shape: shape)
        }
        if range.count == shape[a] { return self }
        var outShape = shape
        outShape[a] = range.count
        var offsets = [Int](repeating: 0, count: rank)
        offsets[a] = range.lowerBound
        let plain = try contiguous()
        let out: Storage
        if range.isEmpty {
            out = Storage(zeroed: try .plain(outShape))
        } else {
            let region = try MemoryDescriptor.plain(shape).submemory(dims: outShape, offsets: offsets)
            out = try Storage(descriptor: region, buffer: plain.storage.buffer).converted(to: .plain(outShape))
        }
        let inputShape = shape
        return Tensor.result("slice", shape: outShape, storage: out, inputs: [self]) { g, _ in
            // The gradient is zero outside the slice: write `g` into a region of fresh zeros.
            let full = Storage(zeroed: try .plain(inputShape))
            if !range.isEmpty {
                let region = try MemoryDescriptor.plain(inputShape).submemory(dims: outShape, offsets: offsets)
                try g.contiguous().storage.reorder(into: Storage(descriptor: region, buffer: full.buffer))
            }
            return [Tensor(shape: inputShape, storage: full)]
        }
    }

    /// The sub-tensor at `index` along the first axis.
    public subscript(index: Int) -> Tensor {
        get throws {
            guard rank > 0, index >= -shape[0], index < shape[0] else {
                throw TensorError.outOfRange(op: "subscript", index: index, bound: rank > 0 ? shape[0] : 0, shape: shape)
            }
            let i = index < 0 ? index + shape[0] : index
            return try slice(axis: 0, i..<(i + 1)).squeezed(at: 0)
        }
    }

    /// Tensors joined along `axis`, as `torch.cat`.
    public static func concatenate(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else {
            throw TensorError.invalidArgument(op: "concatenate", message: "no tensors to join")
        }
        let a = try first.normalizedAxis(axis, op: "concatenate")
        for t in tensors where t.rank != first.rank || t.shape.indices.contains(where: { $0 != a && t.shape[$0] != first.shape[$0] }) {
            throw TensorError.shapeMismatch(
                op: "concatenate", shapes: [first.shape, t.shape], expected: "equal sizes except along axis \(axis)")
        }
        if tensors.count == 1 { return first }
        var outShape = first.shape
        outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let sources = try tensors.map { try $0.contiguous().storage }
        let out = Storage(uninitialized: try .plain(outShape))
        // Row-major: each source is `outer` runs of `shape[a] · inner` values, which land side
        // by side in the output's runs of `outShape[a] · inner`. Copies, not a oneDNN reorder
        // (whose only kernel for a region at an offset is its generic `simple:any`).
        let outer = outShape[..<a].reduce(1, *), inner = outShape[(a + 1)...].reduce(1, *)
        var offset = 0
        for (t, source) in zip(tensors, sources) where t.shape[a] > 0 {
            let run = t.shape[a] * inner
            for o in 0..<outer {
                (out.buffer.floats + (o * outShape[a] + offset) * inner).update(from: source.buffer.floats + o * run, count: run)
            }
            offset += t.shape[a]
        }
        let lengths = tensors.map { $0.shape[a] }
        return Tensor.result("concatenate", shape: outShape, storage: out, inputs: tensors) { g, needs in
            var start = 0
            return try zip(lengths, needs).map { length, needed in
                defer { start += length }
                return needed ? try g.slice(axis: a, start..<(start + length)) : nil
            }
        }
    }

    static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) {
            strides[axis] = strides[axis + 1] * shape[axis + 1]
        }
        return strides
    }
}
