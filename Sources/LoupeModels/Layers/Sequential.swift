import LoupeTensor

/// Children run one after another, keyed `"0"`, `"1"`, … as `torch.nn.Sequential`.
public final class Sequential: Module {
    /// The layers in the order they run; layer `i` is keyed `"i"`.
    public let layers: [any Module]

    /// A container running `layers` in order.
    public init(_ layers: [any Module]) {
        self.layers = layers
    }

    /// The layers keyed by position: `"0"`, `"1"`, ….
    public var children: [(key: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    /// Runs the layers in order.
    ///
    /// A convolution followed by a batch norm and/or a ReLU or ReLU6 (torchvision's
    /// `Conv2dNormActivation`, VGG's features) goes through
    /// ``ForwardContext/convolution(_:_:norm:activation:_:)``, which may fuse them.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        var x = input
        var index = 0
        while index < layers.count {
            guard let conv = layers[index] as? Conv2d else {
                x = try context(String(index), layers[index], x)
                index += 1
                continue
            }
            var next = index + 1
            let norm = (layers.indices.contains(next) ? layers[next] as? BatchNorm2d : nil).map { (key: String(next), module: $0) }
            if norm != nil { next += 1 }
            var activation: (key: String, module: any FusableActivation)?
            if layers.indices.contains(next), let module = layers[next] as? any FusableActivation {
                activation = (String(next), module)
                next += 1
            }
            x = try context.convolution(String(index), conv, norm: norm, activation: activation, x)
            index = next
        }
        return x
    }

    /// The layer count, as `Sequential(3 layers)` (not PyTorch's multi-line repr).
    public var description: String { "Sequential(\(layers.count) layers)" }
}
