import LoupeTensor

/// Children run one after another, keyed `"0"`, `"1"`, … as `torch.nn.Sequential`.
public final class Sequential: Module {
    public let layers: [any Module]

    public init(_ layers: [any Module]) {
        self.layers = layers
    }

    public var children: [(key: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        var x = input
        for (index, layer) in layers.enumerated() {
            x = try context(String(index), layer, x)
        }
        return x
    }

    public var description: String { "Sequential(\(layers.count) layers)" }
}
