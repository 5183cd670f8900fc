import Foundation

/// An immutable n-dimensional array of `Float32` values that can record the operations
/// producing it, for reverse-mode differentiation with ``grad(of:wrt:seed:)``.
///
/// Shapes are row-major; images are `[N, C, H, W]`. The memory behind a tensor may be in a
/// blocked layout that oneDNN chose (convolution outputs stay that way while they flow into the
/// next oneDNN op); reading ``scalars`` or using a plain-Swift op reorders it to dense row-major
/// first. Tensors are values: no operation ever changes a tensor's elements in place.
public struct Tensor: @unchecked Sendable {
    /// The logical dimensions, outermost first.
    public let shape: [Int]
    let storage: Storage
    /// The autograd node that produced this tensor; `nil` when it does not require a gradient.
    let record: GradRecord?

    init(shape: [Int], storage: Storage, record: GradRecord? = nil) {
        self.shape = shape
        self.storage = storage
        self.record = record
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Whether gradients flow back through this tensor.
    public var requiresGrad: Bool { record != nil }

    /// Whether the storage is dense row-major.
    var isPlain: Bool {
        guard let plain = try? MemoryDescriptor.plain(shape) else { return false }
        return storage.descriptor == plain
    }
}

// MARK: - Creation

extension Tensor {
    /// A tensor holding `scalars` in row-major order.
    ///
    /// - Throws: ``TensorError/shapeMismatch(op:shapes:expected:)`` when the count differs
    ///   from the shape's element count, ``TensorError/invalidArgument(op:message:)`` for a
    ///   negative dimension.
    public init(shape: [Int], scalars: [Float]) throws {
        try Tensor.validate(shape: shape, op: "Tensor(shape:scalars:)")
        guard scalars.count == shape.reduce(1, *) else {
            throw TensorError.shapeMismatch(
                op: "Tensor(shape:scalars:)", shapes: [shape, [scalars.count]],
                expected: "the shape holds \(shape.reduce(1, *)) elements")
        }
        let storage = Storage(uninitialized: try .plain(shape))
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { storage.buffer.floats.update(from: base, count: source.count) }
        }
        self.init(shape: shape, storage: storage)
    }

    /// A tensor of `shape` whose elements `body` writes, every one of them, in row-major order
    /// (no intermediate array: checkpoint readers fill their tensors this way).
    ///
    /// - Throws: ``TensorError`` for an invalid shape; what `body` throws.
    public init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void) throws {
        try Tensor.validate(shape: shape, op: "Tensor(shape:initializingWith:)")
        let storage = Storage(uninitialized: try .plain(shape))
        try body(UnsafeMutableBufferPointer(start: storage.buffer.floats, count: shape.reduce(1, *)))
        self.init(shape: shape, storage: storage)
    }

    /// A tensor of the given shape filled by `body`, which writes every element through a
    /// row-major pointer.
    static func plain(_ shape: [Int], fill body: (UnsafeMutablePointer<Float>, Int) throws -> Void) throws -> Tensor {
        let storage = Storage(uninitialized: try .plain(shape))
        try body(storage.buffer.floats, shape.reduce(1, *))
        return Tensor(shape: shape, storage: storage)
    }

    /// A 0-dimensional tensor.
    public init(_ value: Float) {
        // A one-element plain descriptor cannot fail.
        let storage = Storage(uninitialized: (try? .plain([])) ?? MemoryDescriptor(raw: .init()))
        storage.buffer.floats.pointee = value
        self.init(shape: [], storage: storage)
    }

    /// A tensor filled with `value`.
    public static func full(_ shape: [Int], value: Float) throws -> Tensor {
        try validate(shape: shape, op: "full")
        return try plain(shape) { p, n in p.update(repeating: value, count: n) }
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) throws -> Tensor { try full(shape, value: 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, value: 1) }

    /// `0, 1, …, count - 1` as a 1-D tensor.
    public static func arange(_ count: Int) throws -> Tensor {
        try validate(shape: [count], op: "arange")
        return try plain([count]) { p, n in for i in 0..<n { p[i] = Float(i) } }
    }

    /// Standard-normal samples from a seeded generator.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
        using generator: inout some RandomNumberGenerator
    ) throws -> Tensor {
        try validate(shape: shape, op: "randomNormal")
        return try Tensor(
            shape: shape, scalars: normalValues(shape.reduce(1, *), mean: mean, standardDeviation: standardDeviation, using: &generator))
    }

    /// Standard-normal samples from Loupe's seeded generator: the same values as the generic
    /// overload, specialised for `SplitMix64` (the generic call is several times slower).
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
        using generator: inout SplitMix64
    ) throws -> Tensor {
        try validate(shape: shape, op: "randomNormal")
        return try Tensor(
            shape: shape, scalars: normalValues(shape.reduce(1, *), mean: mean, standardDeviation: standardDeviation, using: &generator))
    }

    /// Box–Muller: two independent normals per pair of uniforms.
    @inline(__always)
    private static func normalValues<G: RandomNumberGenerator>(
        _ count: Int, mean: Float, standardDeviation: Float,
        using generator: inout G
    ) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let u1 = Float.random(in: Float.ulpOfOne..<1, using: &generator)
            let u2 = Float.random(in: 0..<1, using: &generator)
            let r = (-2 * Foundation.log(u1)).squareRoot()
            values[i] = mean + standardDeviation * r * Foundation.cos(2 * .pi * u2)
            if i + 1 < count { values[i + 1] = mean + standardDeviation * r * Foundation.sin(2 * .pi * u2) }
            i += 2
        }
        return values
    }

    /// Uniform samples in `range` from a seeded generator.
    public static func randomUniform(
        _ shape: [Int], in range: Range<Float> = 0..<1,
        using generator: inout some RandomNumberGenerator
    ) throws -> Tensor {
        try validate(shape: shape, op: "randomUniform")
        return try Tensor(shape: shape, scalars: uniformValues(shape.reduce(1, *), in: range, using: &generator))
    }

    /// Uniform samples from Loupe's seeded generator, specialised (same values as the generic overload).
    public static func randomUniform(
        _ shape: [Int], in range: Range<Float> = 0..<1,
        using generator: inout SplitMix64
    ) throws -> Tensor {
        try validate(shape: shape, op: "randomUniform")
        return try Tensor(shape: shape, scalars: uniformValues(shape.reduce(1, *), in: range, using: &generator))
    }

    @inline(__always)
    private static func uniformValues<G: RandomNumberGenerator>(_ count: Int, in range: Range<Float>, using generator: inout G) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &generator) }
    }

    static func validate(shape: [Int], op: String) throws {
        if let bad = shape.first(where: { $0 < 0 }) {
            throw TensorError.invalidArgument(op: op, message: "dimension \(bad) in shape \(shape) is negative")
        }
    }
}

// MARK: - Reading

extension Tensor {
    /// The elements in row-major order.
    public var scalars: [Float] {
        get throws {
            let plain = try contiguous()
            return Array(UnsafeBufferPointer(start: plain.storage.buffer.floats, count: count))
        }
    }

    /// The only element of a one-element tensor.
    public var item: Float {
        get throws {
            guard count == 1 else {
                throw TensorError.invalidArgument(op: "item", message: "tensor of shape \(shape) has \(count) elements, not 1")
            }
            return try contiguous().storage.buffer.floats.pointee
        }
    }

    /// The same values in dense row-major memory (a no-op when already so).
    ///
    /// Gradients pass through unchanged.
    public func contiguous() throws -> Tensor {
        if isPlain { return self }
        let out = try storage.converted(to: .plain(shape))
        return Tensor.result("contiguous", shape: shape, storage: out, inputs: [self]) { g, _ in [g] }
    }

    /// Calls `body` with a row-major pointer to the elements.
    func withPlainScalars<R>(_ body: (UnsafePointer<Float>) throws -> R) throws -> R {
        let plain = try contiguous()
        return try body(plain.storage.buffer.floats)
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and up to the first eight values, as `Tensor(shape: [2, 3], [1, 2, 3, …])`.
    public var description: String {
        let values = (try? scalars) ?? []
        let preview = values.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(values.count > 8 ? ", …" : "")])"
    }
}
