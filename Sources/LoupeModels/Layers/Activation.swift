import LoupeTensor

/// `torch.nn.ReLU`.
public final class ReLU: Module {
    /// A ReLU; it has no parameters.
    public init() {}
    /// `max(x, 0)` elementwise, any shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { try input.relu() }
    /// PyTorch's repr, `ReLU()`.
    public var description: String { "ReLU()" }
}

/// `torch.nn.ReLU6`.
public final class ReLU6: Module {
    /// A ReLU6; it has no parameters.
    public init() {}
    /// `min(max(x, 0), 6)` elementwise, any shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { try input.relu6() }
    /// PyTorch's repr, `ReLU6()`.
    public var description: String { "ReLU6()" }
}

/// An activation module a convolution can apply as a post-op
/// (``ForwardContext/convolution(_:_:norm:activation:_:)``).
public protocol FusableActivation: Module {
    /// The same function as a convolution post-op.
    var fusedForm: FusedActivation { get }
}

extension ReLU: FusableActivation {
    /// ``LoupeTensor/FusedActivation/relu``.
    public var fusedForm: FusedActivation { .relu }
}

extension ReLU6: FusableActivation {
    /// ``LoupeTensor/FusedActivation/clip(low:high:)`` from 0 to 6.
    public var fusedForm: FusedActivation { .clip(low: 0, high: 6) }
}

/// `torch.nn.Dropout` in evaluation mode: the identity.
public final class Dropout: Module {
    /// PyTorch's `p`, the probability of zeroing an element in training; shown, never applied.
    public let probability: Float
    /// A dropout layer with PyTorch's `p` (0.5 by default).
    public init(_ probability: Float = 0.5) { self.probability = probability }
    /// The input unchanged (evaluation mode).
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { input.dropout() }
    /// PyTorch's repr, as `Dropout(p=0.2)`.
    public var description: String { "Dropout(p=\(probability))" }
}

/// `torch.nn.Flatten`: axes from `startAxis` on become one.
public final class Flatten: Module {
    /// The first axis merged (PyTorch's `start_dim`); it and every later axis become one.
    public let startAxis: Int
    /// A flatten from `startAxis` on (1 by default, keeping the batch axis).
    public init(startAxis: Int = 1) { self.startAxis = startAxis }
    /// The input with axes `startAxis…` merged: `[N, C, H, W]` becomes `[N, C·H·W]` from axis 1.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try input.flattened(from: startAxis)
    }
    /// PyTorch's repr, as `Flatten(start_dim=1)`.
    public var description: String { "Flatten(start_dim=\(startAxis))" }
}
