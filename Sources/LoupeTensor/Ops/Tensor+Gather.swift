extension Tensor {
    /// Rows of a matrix by index, as `torch.nn.functional.embedding(indices, self)`: an
    /// embedding lookup.
    ///
    /// `self` is `[V, D]`; the result is `[indices.count, D]`, row `i` being row `indices[i]`.
    /// The gradient with respect to `self` adds each output row's gradient into the row it came
    /// from (indices may repeat).
    ///
    /// - Throws: ``TensorError/outOfRange(op:index:bound:shape:)`` for an index outside
    ///   `0..<V`; ``TensorError/invalidArgument(op:message:)`` when `self` is not a matrix.
    public func rows(_ indices: [Int]) throws -> Tensor {
        guard rank == 2 else { throw TensorError.invalidArgument(op: "rows", message: "expected a [V, D] matrix, found shape \(shape)") }
        let (count, width) = (shape[0], shape[1])
        if let bad = indices.first(where: { !(0..<count).contains($0) }) {
            throw TensorError.outOfRange(op: "rows", index: bad, bound: count, shape: shape)
        }
        let out = try withPlainScalars { source in
            try Tensor.plain([indices.count, width]) { target, _ in
                for (row, index) in indices.enumerated() {
                    (target + row * width).update(from: source + index * width, count: width)
                }
            }
        }
        let matrixShape = shape
        return Tensor.result("rows", shape: out.shape, storage: out.storage, inputs: [self]) { g, _ in
            let gradient = try g.contiguous()
            return [
                try gradient.withPlainScalars { source in
                    try Tensor.plain(matrixShape) { target, total in
                        target.update(repeating: 0, count: total)
                        for (row, index) in indices.enumerated() {
                            for j in 0..<width { target[index * width + j] += source[row * width + j] }
                        }
                    }
                }
            ]
        }
    }
}
