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
    /// None, unless the module declares some.
    public var children: [(key: String, module: any Module)] { [] }
    /// None, unless the module declares some.
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

    /// Fills every parameter below this module from `stateDict` by dotted key, strictly.
    ///
    /// - Throws: ``ModelError/shapeMismatch(model:key:expected:found:)``,
    ///   ``ModelError/missingKeys(model:keys:)``, ``ModelError/unexpectedKeys(model:keys:)`` or
    ///   ``ModelError/notANumber(model:what:)``, naming the keys and `modelName`; nothing is
    ///   changed when it throws.
    public func load(_ stateDict: StateDict, modelName: String) throws {
        let named = namedParameters
        var missing: [String] = []
        for (key, parameter) in named {
            guard let tensor = stateDict[key] else {
                if !parameter.isOptional { missing.append(key) }
                continue
            }
            guard tensor.shape == parameter.shape || (parameter.shape.isEmpty && tensor.count == 1) else {
                throw ModelError.shapeMismatch(model: modelName, key: key, expected: parameter.shape, found: tensor.shape)
            }
            // Checked once here, so that no layer has to scan its input on every pass.
            if tensor.containsNaN {
                throw ModelError.notANumber(model: modelName, what: "the checkpoint's \(key) (damaged, or saved after training diverged)")
            }
        }
        let known = Set(named.map(\.key))
        let unexpected = stateDict.keys.filter { !known.contains($0) }
        if !missing.isEmpty { throw ModelError.missingKeys(model: modelName, keys: missing) }
        if !unexpected.isEmpty { throw ModelError.unexpectedKeys(model: modelName, keys: unexpected) }
        for (key, parameter) in named {
            parameter.value = stateDict[key]
        }
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

    /// A parameter under `key` that must have `shape`, not yet loaded; `optional` lets a checkpoint lack it.
    public init(_ key: String, shape: [Int], optional: Bool = false) {
        self.key = key
        self.shape = shape
        self.isOptional = optional
    }

    /// Replaces the value with `tensor` of the same shape (a training step, or the original
    /// weights restored): derived values such as folded batch norms are remade on next use.
    ///
    /// - Throws: ``ModelError/shapeMismatch(model:key:expected:found:)`` for another shape,
    ///   ``ModelError/notANumber(model:what:)`` when `tensor` holds a NaN; the value is unchanged then.
    public func assign(_ tensor: Tensor) throws {
        guard tensor.shape == shape || (shape.isEmpty && tensor.count == 1) else {
            throw ModelError.shapeMismatch(model: "module", key: key, expected: shape, found: tensor.shape)
        }
        if tensor.containsNaN { throw ModelError.notANumber(model: "module", what: "the new value of \(key)") }
        value = tensor
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
/// and a hook that sees (and may replace) the named modules' outputs.
public struct ForwardContext {
    /// Called with each named module's dotted name and output; returns the tensor to pass on
    /// (the output itself to observe, or another tensor to intervene).
    public typealias Hook = (_ layer: String, _ output: Tensor) throws -> Tensor

    private var path: [String] = []
    private let hook: Hook?
    private let observed: Set<String>?
    /// When fused convolutions fold their batch norm into the weight and bias.
    public let affineFolding: AffineFolding
    /// Whether every ReLU and ReLU6, fused or not, passes only the positive part of its
    /// gradient (guided backpropagation).
    public let guidedGradients: Bool
    /// For transformers: what attention adds to its scores before the softmax, broadcasting to
    /// `[B, heads, T, T]` (0 where a key may be attended to, a large negative number where not:
    /// padding, or the future in a causal model); `nil` attends everywhere.
    public var attentionMask: Tensor?

    /// A context whose `hook` sees every module's output, or only those named in `observing`.
    ///
    /// Naming the layers a hook reads lets the others run fused (a convolution with its batch
    /// norm and activation), whose intermediate outputs then never exist. `affineFolding`
    /// ``AffineFolding/always`` makes gradient passes faster at pre-activations that no longer
    /// round as PyTorch's do; keep the default where values are compared with PyTorch's.
    /// `guidedGradients` gates every ReLU's gradient to its positive part, fused activations
    /// included, so guided backpropagation needs no hook.
    public init(
        hook: Hook? = nil, observing: Set<String>? = nil, affineFolding: AffineFolding = .withoutGradient,
        guidedGradients: Bool = false
    ) {
        self.hook = hook
        self.observed = observing
        self.affineFolding = affineFolding
        self.guidedGradients = guidedGradients
    }

    /// Whether the hook sees the output of the child `key` of the current module.
    public func isObserved(_ key: String) -> Bool {
        guard hook != nil else { return false }
        guard let observed else { return true }
        return observed.contains(path.isEmpty ? key : currentName + "." + key)
    }

    /// The dotted name of the module being run.
    public var currentName: String { path.joined(separator: ".") }

    /// Runs `module` as the child `key` of the current module.
    public mutating func callAsFunction(_ key: String, _ module: any Module, _ input: Tensor) throws -> Tensor {
        path.append(key)
        defer { path.removeLast() }
        var output = try module.forward(input, context: &self)
        if guidedGradients, module is ReLU || module is ReLU6 { output = output.passingPositiveGradientOnly() }
        guard let hook else { return output }
        let name = currentName
        if let observed, !observed.contains(name) { return output }
        return try hook(name, output)
    }
}

extension ForwardContext {
    /// A convolution, optionally its batch norm and optionally an activation, each a named
    /// child of the current module.
    ///
    /// Unless the hook observes one of them or a gradient with respect to their parameters could
    /// be asked for, they run fused as one primitive (``Conv2d/fused(_:folding:activation:)``),
    /// which passes the input gradient; otherwise one after another, each seen by the hook.
    public mutating func convolution(
        _ key: String, _ conv: Conv2d, norm: (key: String, module: BatchNorm2d)?,
        activation: (key: String, module: any FusableActivation)? = nil, _ input: Tensor
    ) throws -> Tensor {
        let observed = isObserved(key) || norm.map { isObserved($0.key) } == true || activation.map { isObserved($0.key) } == true
        if !observed, !(GradMode.isRecording && Self.recordsHistory(conv.parameters + (norm?.module.parameters ?? []))) {
            let output = try conv.fused(
                input, folding: norm?.module, activation: activation?.module.fusedForm, affineFolding: affineFolding)
            // The fused activation's gate, as `callAsFunction` gates one that runs on its own.
            return guidedGradients && activation != nil ? output.passingPositiveGradientOnly() : output
        }
        var x = try self(key, conv, input)
        if let norm { x = try self(norm.key, norm.module, x) }
        if let activation { x = try self(activation.key, activation.module, x) }
        return x
    }

    /// Whether any of `parameters` is a tensor whose gradient could be asked for.
    static func recordsHistory(_ parameters: [Parameter]) -> Bool {
        parameters.contains { $0.value?.requiresGrad == true }
    }
}
