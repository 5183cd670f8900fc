import Foundation
import LoupeModels
import LoupeTensor

/// How trained parameters follow their gradients, as PyTorch's optimisers do.
public enum ParameterUpdate: Sendable, Equatable, CustomStringConvertible {
    /// `torch.optim.SGD(lr, momentum)` with no dampening, no weight decay and no Nesterov:
    /// `b ← g` at the first step and `b ← momentum·b + g` after, then `p ← p − lr·b`.
    case sgd(momentum: Float)
    /// `torch.optim.Adam(lr)` with its defaults (``Adam``).
    case adam

    /// `sgd(momentum=0.9)` or `adam`, as reports and file metadata show it.
    public var description: String {
        switch self {
        case let .sgd(momentum): return "sgd(momentum=\(momentum))"
        case .adam: return "adam"
        }
    }
}

/// Chosen parameters of a network made trainable: while training, their values record
/// gradients (so the layers they belong to run one by one instead of fused), one optimiser per
/// parameter updates them, and the values they had before are kept to be put back.
///
/// Batch-norm statistics (`running_mean`, `running_var`) are buffers, not parameters: they stay
/// frozen, as PyTorch's batch norm in `eval()` keeps them.
public final class ParameterTraining {
    /// The dotted keys trained, in the network's order.
    public let keys: [String]
    private let parameters: [Parameter]
    private let originals: [Tensor]
    private var optimizers: [Optimizer]
    /// The step size.
    public let learningRate: Float
    /// The update rule.
    public let update: ParameterUpdate
    /// Steps taken.
    public private(set) var steps = 0

    private enum Optimizer {
        case sgd(momentum: Float, buffer: [Float]?)
        case adam(Adam)
    }

    /// Training of `keys` of `network` (weights and biases: `layer4.1.conv2.weight`).
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for an empty list, an unknown key, a
    ///   buffer (running statistics), a parameter not loaded, or a learning rate that is not a
    ///   positive finite number.
    public init(network: any Module, keys: [String], update: ParameterUpdate, learningRate: Float) throws {
        guard !keys.isEmpty else { throw InterpError.invalidParameter("nothing to train: no parameter was chosen") }
        guard learningRate.isFinite, learningRate > 0 else {
            throw InterpError.invalidParameter("the learning rate must be a positive number, got \(learningRate)")
        }
        if case let .sgd(momentum) = update, !(0...1).contains(momentum) {
            throw InterpError.invalidParameter("SGD's momentum must be between 0 and 1, got \(momentum)")
        }
        let named = Dictionary(network.namedParameters.map { ($0.key, $0.parameter) }, uniquingKeysWith: { first, _ in first })
        parameters = try keys.map { key in
            guard let parameter = named[key] else {
                throw InterpError.invalidParameter("the network has no parameter \(key)")
            }
            guard parameter.key == "weight" || parameter.key == "bias" else {
                throw InterpError.invalidParameter("\(key) is a buffer, not a parameter: it is not trained")
            }
            return parameter
        }
        originals = try parameters.map { try $0.tensor.detached() }
        self.keys = keys
        self.update = update
        self.learningRate = learningRate
        optimizers = keys.map { _ in
            switch update {
            case let .sgd(momentum): return .sgd(momentum: momentum, buffer: nil)
            case .adam: return .adam(Adam(learningRate: learningRate))
            }
        }
        for (parameter, value) in zip(parameters, originals) { try parameter.assign(value.requiringGrad()) }
    }

    /// The keys of the weights and biases of every layer that runs after `layer` in `network`
    /// (in the order the modules are declared, which is the order they run in the
    /// architectures Loupe builds): what fine-tuning "the layers after it" trains.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when no layer is called `layer`, or when
    ///   nothing with parameters comes after it.
    public static func keys(after layer: String, in network: any Module) throws -> [String] {
        let modules = network.namedModules
        guard let index = modules.firstIndex(where: { $0.name == layer && !layer.isEmpty }) else {
            throw InterpError.invalidParameter("the network has no layer \(layer)")
        }
        let inside = layer + "."
        let later = modules[(index + 1)...].filter { !$0.name.hasPrefix(inside) }
        let keys = later.flatMap { name, module in
            module.parameters.filter { $0.key == "weight" || $0.key == "bias" }.map { name + "." + $0.key }
        }
        guard !keys.isEmpty else {
            throw InterpError.invalidParameter("nothing with parameters runs after \(layer): there is nothing to fine-tune")
        }
        return keys
    }

    /// The keys of the weights and biases of `layer` itself and of every module inside it:
    /// what teaching the layer's channels trains.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when no layer is called `layer`, or when it
    ///   has no parameters.
    public static func keys(inside layer: String, in network: any Module) throws -> [String] {
        let modules = network.namedModules
        guard modules.contains(where: { $0.name == layer && !layer.isEmpty }) else {
            throw InterpError.invalidParameter("the network has no layer \(layer)")
        }
        let keys = modules.filter { $0.name == layer || $0.name.hasPrefix(layer + ".") }.flatMap { name, module in
            module.parameters.filter { $0.key == "weight" || $0.key == "bias" }.map { name + "." + $0.key }
        }
        guard !keys.isEmpty else { throw InterpError.invalidParameter("\(layer) has no parameters to train") }
        return keys
    }

    /// The trained values, each recording its gradient: pass them to `grad(of:wrt:)`.
    public var tensors: [Tensor] {
        get throws { try parameters.map { try $0.tensor } }
    }

    /// One update of every trained parameter from its gradient (`gradients[i]` for ``keys```[i]`).
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when a gradient is missing, of another
    ///   shape, or not finite (the parameters are unchanged then: nothing is half-updated).
    public func step(gradients: [Tensor]) throws {
        guard gradients.count == parameters.count else {
            throw InterpError.invalidParameter("\(gradients.count) gradients for \(parameters.count) parameters")
        }
        var updated: [Tensor] = []
        var next = optimizers
        for (index, (parameter, gradient)) in zip(parameters, gradients).enumerated() {
            let value = try parameter.tensor
            guard gradient.shape == value.shape else {
                throw InterpError.invalidParameter("the gradient of \(keys[index]) is \(gradient.shape), the parameter \(value.shape)")
            }
            let g = try gradient.scalars
            guard g.allSatisfy(\.isFinite) else {
                throw InterpError.invalidParameter("the gradient of \(keys[index]) is not finite at step \(steps + 1)")
            }
            var p = try value.scalars
            switch next[index] {
            case let .sgd(momentum, buffer):
                var b = g
                if let buffer { for i in b.indices { b[i] = momentum * buffer[i] + g[i] } }
                let step = -learningRate
                for i in p.indices { p[i] = p[i] + step * b[i] }
                next[index] = .sgd(momentum: momentum, buffer: b)
            case var .adam(adam):
                try adam.step(&p, gradient: g)
                next[index] = .adam(adam)
            }
            guard p.allSatisfy(\.isFinite) else {
                throw InterpError.invalidParameter("\(keys[index]) is not finite after step \(steps + 1): the learning rate diverges")
            }
            updated.append(try Tensor(shape: value.shape, scalars: p).requiringGrad())
        }
        for (parameter, value) in zip(parameters, updated) { try parameter.assign(value) }
        optimizers = next
        steps += 1
    }

    /// Puts the values from before training back (after a divergence, or to compare).
    public func restore() throws {
        for (parameter, value) in zip(parameters, originals) { try parameter.assign(value) }
    }

    /// Ends training: the values stop recording gradients, so the network runs fused again.
    public func finish() throws {
        for parameter in parameters { try parameter.assign(try parameter.tensor.detached()) }
    }

    /// The values from before training, by key.
    public var originalValues: [String: Tensor] { Dictionary(uniqueKeysWithValues: zip(keys, originals)) }
}
