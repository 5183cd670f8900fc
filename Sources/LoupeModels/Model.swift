import Foundation
import LoupeImage
import LoupeTensor

/// A network with its weights, preprocessing and class names: what `loupe predict` runs and
/// what interpretability methods look inside.
public final class Model: @unchecked Sendable {
    /// The name shown in captions: a registry name (`efficientnet-lite0`) or the architecture.
    public let name: String
    /// The architecture the network was built from; `nil` for a network made otherwise (CLIP
    /// as a zero-shot classifier).
    public let architecture: Architecture?
    /// Grad-CAM's layer when no other is asked for, for networks without an ``architecture``.
    public let camLayer: String?
    /// Whether the network reads only inputs of exactly ``Preprocessing/size`` (a CLIP tower,
    /// whose positional embeddings are fixed), where a convolutional one takes any size.
    public var fixedInputSize = false
    /// The module tree, named as PyTorch names it.
    public let network: any Module
    /// How a photo becomes the network's input (size, crop, mean and standard deviation); the architecture's own unless changed.
    public var preprocessing: Preprocessing
    /// Class names by output index.
    public let labels: [String]

    /// A model with unloaded weights.
    public init(architecture: Architecture, name: String? = nil, labels: [String] = ImageNet.labels) {
        self.architecture = architecture
        camLayer = nil
        self.name = name ?? architecture.rawValue
        network = architecture.build(classes: labels.isEmpty ? 1000 : labels.count)
        preprocessing = architecture.preprocessing
        self.labels = labels
    }

    /// A model around a network built elsewhere (CLIP's image tower with a zero-shot head),
    /// whose weights are already loaded.
    ///
    /// - Parameters:
    ///   - network: the module tree; its output for `[N, 3, S, S]` is `[N, labels.count]` logits.
    ///   - name: the name captions use.
    ///   - preprocessing: how a photo becomes the input.
    ///   - labels: the class names by output index.
    ///   - camLayer: Grad-CAM's default layer, if the network has one.
    ///   - fixedInputSize: Whether the network reads only inputs of `preprocessing.size`.
    public init(
        network: any Module, name: String, preprocessing: Preprocessing, labels: [String], camLayer: String?, fixedInputSize: Bool = false
    ) {
        architecture = nil
        self.fixedInputSize = fixedInputSize
        self.network = network
        self.name = name
        self.preprocessing = preprocessing
        self.labels = labels
        self.camLayer = camLayer
    }

    /// The architecture's name (`resnet18`), or the network's description.
    public var architectureName: String { architecture?.rawValue ?? network.description }

    /// `architecture` with the weights in the checkpoint at `url` (zip or legacy `.pth`, or
    /// safetensors), loaded strictly.
    public convenience init(architecture: Architecture, weights url: URL, name: String? = nil) throws {
        self.init(architecture: architecture, name: name)
        let stateDict = try Checkpoint.load(contentsOf: url)
        do {
            try load(stateDict)
        } catch let error as ModelError {
            throw error.inFile(url.path)
        }
    }

    /// Fills every parameter from `stateDict` by dotted key.
    ///
    /// - Throws: ``ModelError/shapeMismatch(model:key:expected:found:)``,
    ///   ``ModelError/missingKeys(model:keys:)`` or ``ModelError/unexpectedKeys(model:keys:)``,
    ///   naming the keys; nothing is changed when it throws.
    public func load(_ stateDict: StateDict) throws {
        try network.load(stateDict, modelName: name)
    }

    /// The dotted names of every layer, in forward order (`conv1`, `layer1.0.conv2`, …).
    public var layerNames: [String] {
        network.namedModules.map(\.name).filter { !$0.isEmpty }
    }

    /// The layer called `name`.
    ///
    /// - Throws: ``ModelError/unknownLayer(model:name:suggestions:)`` listing the nearest names.
    public func layer(named name: String) throws -> any Module {
        if let match = network.namedModules.first(where: { $0.name == name && !name.isEmpty }) { return match.module }
        throw ModelError.unknownLayer(model: self.name, name: name, suggestions: closestNames(to: name, in: layerNames))
    }

    /// The network's output (logits) for a batch `[N, 3, H, W]` of preprocessed images.
    ///
    /// `hook` sees every named layer's output by dotted name and may replace it; or, when
    /// `observing` names layers, only theirs, and the other layers may run fused.
    /// `affineFolding` is ``ForwardContext/affineFolding``, `guidedGradients`
    /// ``ForwardContext/guidedGradients``.
    public func callAsFunction(
        _ input: Tensor, observing: Set<String>? = nil, affineFolding: AffineFolding = .withoutGradient,
        guidedGradients: Bool = false, hook: ForwardContext.Hook? = nil
    ) throws -> Tensor {
        // The fused convolutions do not scan their inputs for NaN: with the parameters checked
        // when loaded, the input is the one place a NaN can enter.
        if input.containsNaN { throw ModelError.notANumber(model: name, what: "the input \(input.shape)") }
        return try Engine.run {
            var context = ForwardContext(hook: hook, observing: observing, affineFolding: affineFolding, guidedGradients: guidedGradients)
            return try network.forward(input, context: &context)
        }
    }

    /// The logits and the outputs of the named layers (the last output when a layer runs twice,
    /// as torchvision's shared `relu` does).
    public func forward(_ input: Tensor, capturing layers: Set<String>) throws -> (logits: Tensor, activations: [String: Tensor]) {
        for name in layers { _ = try layer(named: name) }
        var captured: [String: Tensor] = [:]
        let logits = try self(input, observing: layers) { name, output in
            captured[name] = output
            return output
        }
        return (logits, captured)
    }

    /// Number of parameter and buffer values loaded (PyTorch's `sum(p.numel())` over the state dict).
    public var parameterCount: Int {
        network.namedParameters.reduce(0) { $0 + ($1.parameter.value?.count ?? 0) }
    }
}

extension ModelError {
    /// The same error with the model name replaced by the checkpoint path, for messages that
    /// should name the file.
    func inFile(_ path: String) -> ModelError {
        switch self {
        case let .missingKeys(model, keys): return .missingKeys(model: "\(path) (for \(model))", keys: keys)
        case let .unexpectedKeys(model, keys): return .unexpectedKeys(model: "\(path) (for \(model))", keys: keys)
        case let .shapeMismatch(model, key, expected, found):
            return .shapeMismatch(model: "\(path) (for \(model))", key: key, expected: expected, found: found)
        default: return self
        }
    }
}

/// ImageNet-1k's class names.
public enum ImageNet {
    /// The 1000 class names in index order, as torchvision lists them.
    public static let labels: [String] = {
        guard let url = Bundle.module.url(forResource: "imagenet_classes", withExtension: "txt", subdirectory: "Resources"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }()
}

extension Model {
    /// Every loaded parameter and buffer as a safetensors file under its PyTorch key, so that
    /// `torchvision`/`timm` code loads it (`model.load_state_dict(safetensors.torch.load_file(…))`)
    /// and Loupe reads it back with `--arch … --weights …`; values in `replacing` take the
    /// place of the loaded ones (an edited model written without changing this one).
    ///
    /// PyTorch's integer buffer `num_batches_tracked` is written as a float like the rest;
    /// `load_state_dict` converts it.
    ///
    /// - Parameters:
    ///   - replacing: values by key, each of its parameter's shape.
    ///   - metadata: strings for the header's `__metadata__` (what was edited, from what).
    /// - Returns: the file's bytes.
    /// - Throws: ``ModelError/unexpectedKeys(model:keys:)`` for a replacement key the model does
    ///   not have, ``ModelError/shapeMismatch(model:key:expected:found:)`` for a wrong shape,
    ///   ``ModelError/missingKeys(model:keys:)`` before the weights are loaded.
    public func encodedWeights(replacing: [String: Tensor] = [:], metadata: [String: String]) throws -> Data {
        let named = network.namedParameters
        let known = Set(named.map(\.key))
        let unknown = replacing.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty { throw ModelError.unexpectedKeys(model: name, keys: unknown) }
        var entries: [SafetensorsFile.Entry] = []
        for (key, parameter) in named {
            guard let value = replacing[key] ?? parameter.value else {
                if parameter.isOptional { continue }
                throw ModelError.missingKeys(model: name, keys: [key])
            }
            guard value.shape == parameter.shape || (parameter.shape.isEmpty && value.count == 1) else {
                throw ModelError.shapeMismatch(model: name, key: key, expected: parameter.shape, found: value.shape)
            }
            entries.append(.init(name: key, shape: parameter.shape, values: try value.scalars))
        }
        return try SafetensorsFile.encode(entries, metadata: metadata)
    }
}
