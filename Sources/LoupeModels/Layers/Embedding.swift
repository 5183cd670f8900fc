import LoupeTensor

/// A lookup table of vectors, as `torch.nn.Embedding`: weight `[count, dimension]`.
///
/// Its input is a tensor of indices held as floats (`[B, T]`, each an integer in
/// `0..<count`, exact in Float32 below 2²⁴), so that it runs through ``ForwardContext`` like
/// any layer; the output is `[B, T, dimension]`.
public final class Embedding: Module {
    /// Rows of the table: indices run over `0..<count`.
    public let count: Int
    /// The length of each vector.
    public let dimension: Int
    /// The table, `[count, dimension]` (`weight`).
    public let weight: Parameter

    /// A table of `count` vectors of length `dimension`, not yet loaded.
    public init(_ count: Int, _ dimension: Int) {
        self.count = count
        self.dimension = dimension
        weight = Parameter("weight", shape: [count, dimension])
    }

    /// `weight`.
    public var parameters: [Parameter] { [weight] }

    /// The rows `input` indexes, shaped `input.shape + [dimension]`; throws for an index that is not a whole number in `0..<count`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try weight.tensor.rows(try Self.indices(input, count: count)).reshaped(to: input.shape + [dimension])
    }

    /// The integer indices a float tensor holds.
    ///
    /// - Throws: ``LoupeTensor/TensorError/invalidArgument(op:message:)`` for a value that is
    ///   not a whole number, ``LoupeTensor/TensorError/outOfRange(op:index:bound:shape:)`` for
    ///   one outside `0..<count`.
    static func indices(_ input: Tensor, count: Int) throws -> [Int] {
        try input.scalars.map { value in
            guard value.isFinite, value == value.rounded() else {
                throw TensorError.invalidArgument(op: "embedding", message: "index \(value) is not a whole number")
            }
            guard (0..<count).contains(Int(value)) else {
                throw TensorError.outOfRange(op: "embedding", index: Int(value), bound: count, shape: input.shape)
            }
            return Int(value)
        }
    }

    /// PyTorch's repr, as `Embedding(30522, 384)`.
    public var description: String { "Embedding(\(count), \(dimension))" }
}
