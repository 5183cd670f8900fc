import LoupeTensor

/// A network layer or container, named as PyTorch names it.
///
/// A module lists its direct children under the key component PyTorch's `state_dict` uses
/// (`"conv1"`, `"_blocks"`, `"0"`), and its own parameters and buffers under theirs
/// (`"weight"`, `"running_mean"`). Full dotted names (`layer1.0.conv2.weight`) are derived from
/// this tree, never assembled by callers, so checkpoints load by name and users name layers as
/// they do in PyTorch.
public protocol Module: AnyObject, CustomStringConvertible {
    /// Direct children, in forward order, with their key components.
    var children: [(key: String, module: any Module)] { get }
    /// This module's own parameters and buffers.
    var parameters: [Parameter] { get }
    /// The module's computation. Call children through `context` so that their outputs can be
    /// observed or replaced by name.
    func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor
}

extension Module {
    public var children: [(key: String, module: any Module)] { [] }
    public var parameters: [Parameter] { [] }

    /// Every module below this one with its dotted name (this module itself is `""`), in order.
    public var namedModules: [(name: String, module: any Module)] {
        var out: [(String, any Module)] = [("", self)]
        for (key, child) in children {
            for (name, module) in child.namedModules {
                out.append((name.isEmpty ? key : key + "." + name, module))
            }
        }
        return out
    }

    /// Every parameter and buffer below this module with its full dotted key.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        namedModules.flatMap { name, module in
            module.parameters.map { ((name.isEmpty ? "" : name + ".") + $0.key, $0) }
        }
    }
}

/// A parameter or buffer: its `state_dict` key component, the shape it must have, and its value
/// once loaded.
public final class Parameter: @unchecked Sendable {
    /// The last component of the `state_dict` key (`"weight"`).
    public let key: String
    /// The shape the checkpoint tensor must have.
    public let shape: [Int]
    /// Buffers a checkpoint may lack (BatchNorm's `num_batches_tracked`).
    public let isOptional: Bool
    /// The loaded tensor.
    public internal(set) var value: Tensor? {
        didSet { generation &+= 1 }
    }

    /// Changes whenever ``value`` is set, so values derived from it (folded weights) can tell
    /// that they are stale.
    public private(set) var generation = 0

    public init(_ key: String, shape: [Int], optional: Bool = false) {
        self.key = key
        self.shape = shape
        self.isOptional = optional
    }

    /// The loaded value.
    ///
    /// - Throws: ``ModelError/missingKeys(model:keys:)`` before the weights are loaded.
    public var tensor: Tensor {
        get throws {
            guard let value else { throw ModelError.missingKeys(model: "module", keys: [key]) }
            return value
        }
    }
}

/// What a forward pass carries down the module tree: the dotted name of the module running now,
/// and a hook that sees (and may replace) every named module's output.
public struct ForwardContext {
    /// Called with each named module's dotted name and output; returns the tensor to pass on
    /// (the output itself to observe, or another tensor to intervene).
    public typealias Hook = (_ layer: String, _ output: Tensor) throws -> Tensor

    private var path: [String] = []
    private let hook: Hook?

    public init(hook: Hook? = nil) {
        self.hook = hook
    }

    /// Whether a hook sees the modules' outputs. Without one, the inference path may fuse
    /// layers (a convolution with its batch norm and activation), whose own outputs then never
    /// exist.
    public var isObserved: Bool { hook != nil }

    /// The dotted name of the module being run.
    public var currentName: String { path.joined(separator: ".") }

    /// Runs `module` as the child `key` of the current module.
    public mutating func callAsFunction(_ key: String, _ module: any Module, _ input: Tensor) throws -> Tensor {
        path.append(key)
        defer { path.removeLast() }
        let output = try module.forward(input, context: &self)
        guard let hook else { return output }
        return try hook(currentName, output)
    }
}

extension ForwardContext {
    /// A convolution, its batch norm and optionally an activation, each a named child of the
    /// current module. When nothing observes the outputs (no hook) and no gradient can be asked
    /// for, the three run fused as one primitive (``Conv2d/inference(_:folding:activation:)``);
    /// otherwise one after another, each seen by the hook.
    public mutating func convolution(
        _ key: String, _ conv: Conv2d, norm: (key: String, module: BatchNorm2d),
        activation: (key: String, module: any Module, function: FusedActivation)? = nil, _ input: Tensor
    ) throws -> Tensor {
        let gradientPossible = GradMode.isRecording && (input.requiresGrad || (try? conv.weight.tensor.requiresGrad) == true)
        if !isObserved, !gradientPossible {
            return try conv.inference(input, folding: norm.module, activation: activation?.function)
        }
        var x = try self(norm.key, norm.module, self(key, conv, input))
        if let activation { x = try self(activation.key, activation.module, x) }
        return x
    }
}
