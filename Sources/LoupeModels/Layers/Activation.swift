import LoupeTensor

/// `torch.nn.ReLU`.
public final class ReLU: Module {
    public init() {}
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { try input.relu() }
    public var description: String { "ReLU()" }
}

/// `torch.nn.ReLU6`.
public final class ReLU6: Module {
    public init() {}
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { try input.relu6() }
    public var description: String { "ReLU6()" }
}

/// An activation module a convolution can apply as a post-op
/// (``ForwardContext/convolution(_:_:norm:activation:_:)``).
public protocol FusableActivation: Module {
    /// The same function as a convolution post-op.
    var fusedForm: FusedActivation { get }
}

extension ReLU: FusableActivation {
    public var fusedForm: FusedActivation { .relu }
}

extension ReLU6: FusableActivation {
    public var fusedForm: FusedActivation { .clip(low: 0, high: 6) }
}

/// `torch.nn.Dropout` in evaluation mode: the identity.
public final class Dropout: Module {
    public let probability: Float
    public init(_ probability: Float = 0.5) { self.probability = probability }
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { input.dropout() }
    public var description: String { "Dropout(p=\(probability))" }
}

/// `torch.nn.Flatten`: axes from `startAxis` on become one.
public final class Flatten: Module {
    public let startAxis: Int
    public init(startAxis: Int = 1) { self.startAxis = startAxis }
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.flattened(from: startAxis)
    }
    public var description: String { "Flatten(start_dim=\(startAxis))" }
}
