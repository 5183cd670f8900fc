import CDNNL

/// Binary elementwise arithmetic with NumPy/PyTorch broadcasting, on oneDNN's binary primitive.
enum BinaryOperation: String {
    case add, sub, mul, div

    var algorithm: dnnl_alg_kind_t {
        switch self {
        case .add: return dnnl_binary_add
        case .sub: return dnnl_binary_sub
        case .mul: return dnnl_binary_mul
        case .div: return dnnl_binary_div
        }
    }
}

/// The shape both operands broadcast to, as `torch.broadcast_shapes`.
func broadcastShape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
    let rank = Swift.max(a.count, b.count)
    let pa = [Int](repeating: 1, count: rank - a.count) + a
    let pb = [Int](repeating: 1, count: rank - b.count) + b
    return try zip(pa, pb).map { x, y in
        if x == y || y == 1 { return x }
        if x == 1 { return y }
        throw TensorError.shapeMismatch(op: op, shapes: [a, b], expected: "each dimension must match or be 1")
    }
}

extension Tensor {
    func binary(_ operation: BinaryOperation, _ other: Tensor) throws -> Tensor {
        let name = operation.rawValue
        let outShape = try broadcastShape(shape, other.shape, op: name)
        // oneDNN broadcasts only its second source, so the first must already have the result's shape.
        let lhs = shape == outShape ? self : try broadcast(to: outShape)
        let rhs = try other.reshaped(toRank: outShape.count)
        let dst = try lhs.binaryKernel(operation, rhs)
        let (a, b) = (self, other)
        return Tensor.result(name, shape: outShape, storage: dst, inputs: [self, other]) { g, needs in
            switch operation {
            case .add:
                return [needs[0] ? try g.sum(toShape: a.shape) : nil, needs[1] ? try g.sum(toShape: b.shape) : nil]
            case .sub:
                return [needs[0] ? try g.sum(toShape: a.shape) : nil, needs[1] ? try g.sum(toShape: b.shape).negated() : nil]
            case .mul:
                return [needs[0] ? try (g * b).sum(toShape: a.shape) : nil, needs[1] ? try (g * a).sum(toShape: b.shape) : nil]
            case .div:
                return [
                    needs[0] ? try (g / b).sum(toShape: a.shape) : nil,
                    needs[1] ? try (g * a / (b * b)).sum(toShape: b.shape).negated() : nil,
                ]
            }
        }
    }

    /// `self ∘ other` on oneDNN, where `other` has this tensor's rank and broadcasts to its shape.
    private func binaryKernel(_ operation: BinaryOperation, _ other: Tensor) throws -> Storage {
        let src0 = storage.descriptor
        // A broadcast operand is small; give it plain memory. A full-size one follows the first's layout.
        let src1Storage =
            other.shape == shape
            ? try other.storage.converted(to: src0) : try other.contiguous().storage
        let src1 = src1Storage.descriptor
        // oneDNN 2.6 has no JIT kernel for a channel broadcast onto a padded blocked layout (3
        // channels in 8-wide blocks): its reference kernel took 11 ms for 3×236×236. Plain
        // memory has one.
        let primitive = try PrimitiveCache.primitive("binary", operation.rawValue, src0, src1, layouts: LayoutChoice.givenOrPlain) {
            engine, choice in
            var op = dnnl_binary_desc_t()
            var s0 = try choice.descriptor(for: src0, anyAllowed: false).raw
            var s1 = try choice.descriptor(for: src1, anyAllowed: false).raw
            var d = s0
            try check(dnnl_binary_desc_init(&op, operation.algorithm, &s0, &s1, &d), op: operation.rawValue)
            return try makeDescriptor(&op, engine: engine, kind: operation.rawValue)
        }
        let a = try storage.converted(to: primitive.memory(dnnl_query_src_md, index: 0))
        let b = try src1Storage.converted(to: primitive.memory(dnnl_query_src_md, index: 1))
        let out = Storage(uninitialized: try primitive.memory(dnnl_query_dst_md))
        try primitive.execute([(DNNL_ARG_SRC_0, a), (DNNL_ARG_SRC_1, b), (DNNL_ARG_DST, out)])
        return out
    }

    /// Prepends unit dimensions up to `rank` (a view).
    func reshaped(toRank rank: Int) throws -> Tensor {
        if shape.count == rank { return self }
        return try reshaped(to: [Int](repeating: 1, count: rank - shape.count) + shape)
    }

    /// `-x`.
    public func negated() throws -> Tensor { try eltwise(.linear(alpha: -1, beta: 0)) }

    /// Elementwise sum, broadcasting as PyTorch does; throws ``TensorError/shapeMismatch(op:shapes:expected:)`` otherwise.
    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(.add, rhs) }
    /// Elementwise difference, broadcasting as PyTorch does.
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(.sub, rhs) }
    /// Elementwise product, broadcasting as PyTorch does.
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(.mul, rhs) }
    /// Elementwise quotient, broadcasting as PyTorch does.
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(.div, rhs) }

    /// `rhs` added to every element.
    public static func + (lhs: Tensor, rhs: Float) throws -> Tensor { try lhs.affine(scale: 1, shift: rhs) }
    /// `rhs` subtracted from every element.
    public static func - (lhs: Tensor, rhs: Float) throws -> Tensor { try lhs.affine(scale: 1, shift: -rhs) }
    /// Every element times `rhs`.
    public static func * (lhs: Tensor, rhs: Float) throws -> Tensor { try lhs.affine(scale: rhs, shift: 0) }
    /// Every element times `1 / rhs` (a multiplication, so it may round differently from a division).
    public static func / (lhs: Tensor, rhs: Float) throws -> Tensor { try lhs.affine(scale: 1 / rhs, shift: 0) }
    /// Every element of `rhs` times `lhs`.
    public static func * (lhs: Float, rhs: Tensor) throws -> Tensor { try rhs.affine(scale: lhs, shift: 0) }
    /// `lhs` added to every element of `rhs`.
    public static func + (lhs: Float, rhs: Tensor) throws -> Tensor { try rhs.affine(scale: 1, shift: lhs) }
    /// `lhs − x` for every element `x` of `rhs`.
    public static func - (lhs: Float, rhs: Tensor) throws -> Tensor { try rhs.affine(scale: -1, shift: lhs) }
    /// `-x`, as ``negated()``.
    public static prefix func - (operand: Tensor) throws -> Tensor { try operand.negated() }
}
