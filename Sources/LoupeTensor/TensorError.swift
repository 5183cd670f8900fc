/// An error thrown by a tensor operation.
///
/// Every case names the operation that failed and carries the shapes or values involved, so the
/// message tells the user what was expected and what was found.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// Operand shapes that the operation cannot combine.
    case shapeMismatch(op: String, shapes: [[Int]], expected: String)
    /// An argument outside the operation's domain (a zero stride, a negative padding, …).
    case invalidArgument(op: String, message: String)
    /// An index or axis outside a tensor's bounds.
    case outOfRange(op: String, index: Int, bound: Int, shape: [Int])
    /// A NaN reached an operation's input.
    case notANumber(op: String, input: String, shape: [Int])
    /// `grad(of:wrt:)` was asked for something it cannot compute.
    case gradient(String)
    /// oneDNN returned an error status.
    case dnnl(op: String, status: String)

    /// The message shown to the user, starting with the operation's name.
    public var description: String {
        switch self {
        case let .shapeMismatch(op, shapes, expected):
            let list = shapes.map { "[\($0.map(String.init).joined(separator: ", "))]" }.joined(separator: " and ")
            return "\(op): cannot combine shapes \(list): \(expected)"
        case let .invalidArgument(op, message):
            return "\(op): \(message)"
        case let .outOfRange(op, index, bound, shape):
            return "\(op): index \(index) is out of range 0..<\(bound) for shape \(shape)"
        case let .notANumber(op, input, shape):
            return "\(op): input \(input) of shape \(shape) contains NaN"
        case let .gradient(message):
            return "grad: \(message)"
        case let .dnnl(op, status):
            return "\(op): oneDNN failed with \(status)"
        }
    }
}
