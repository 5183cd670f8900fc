import LoupeImage
import LoupeModels
import LoupeTensor

/// One step of the cascading randomisation: the layers whose parameters it re-initialises.
public struct RandomizationStage: Sendable, Equatable {
    /// Dotted module names: a block (`_blocks.15`, `layer4.1`), a layer (`_fc`), or a
    /// convolution with the batch norm after it (`_conv_head`, `_bn1`).
    public let layers: [String]

    /// A stage that re-initialises `layers`.
    public init(layers: [String]) {
        self.layers = layers
    }

    /// How tables and captions name the stage: `_conv_head + _bn1`.
    public var name: String { layers.joined(separator: " + ") }
}

extension Model {
    /// The stages of Adebayo et al.'s cascading randomisation, from the logits down to the
    /// input: for EfficientNet-Lite `_fc`, `_conv_head + _bn1`, `_blocks.15` … `_blocks.0`,
    /// `_conv_stem + _bn0`; for a ResNet `fc`, `layer4.1`, `layer4.0`, … `layer1.0`, `conv1 + bn1`.
    ///
    /// Derived from the module tree: every element of a numbered container (a `Sequential`
    /// of blocks) is one stage with all its parameters, a parameterised layer elsewhere is one
    /// stage, and a batch norm joins the convolution or linear layer before it. Modules are
    /// assumed to list their children in forward order, as Loupe's architectures do.
    public var randomizationStages: [RandomizationStage] {
        var groups: [[String]] = []
        Self.collectStages(network, prefix: "", into: &groups)
        return groups.reversed().map(RandomizationStage.init(layers:))
    }

    private static func collectStages(_ module: any Module, prefix: String, into groups: inout [[String]]) {
        // Whether the last group is a lone convolution or linear layer that a batch norm joins.
        var joinable = false
        func addLayer(_ name: String, _ layer: any Module) {
            if layer is BatchNorm2d, joinable, !groups.isEmpty {
                groups[groups.count - 1].append(name)
                joinable = false
            } else {
                groups.append([name])
                joinable = layer is Conv2d || layer is Linear
            }
        }
        for (key, child) in module.children where !child.namedParameters.isEmpty {
            let name = prefix.isEmpty ? key : prefix + "." + key
            if child.children.isEmpty {
                addLayer(name, child)
            } else if child.children.allSatisfy({ Int($0.key) != nil }) {
                for (index, element) in child.children where !element.namedParameters.isEmpty {
                    if element.children.isEmpty {
                        addLayer(name + "." + index, element)
                    } else {
                        groups.append([name + "." + index])
                        joinable = false
                    }
                }
            } else {
                collectStages(child, prefix: name, into: &groups)
                joinable = false
            }
        }
    }

    /// A copy of this model with its own parameters (the tensors are shared until replaced),
    /// so that re-initialising the copy leaves this model untouched.
    ///
    /// - Throws: ``ModelError/missingKeys(model:keys:)`` when this model's weights are not loaded,
    ///   ``InterpError/invalidParameter(_:)`` for a network not built from an ``Architecture``.
    func independentCopy() throws -> Model {
        guard let architecture else {
            throw InterpError.invalidParameter(
                "the randomisation test rebuilds the network, which Loupe can do for its built-in architectures only, not \(name)")
        }
        let copy = Model(architecture: architecture, name: name, labels: labels)
        copy.preprocessing = preprocessing
        try copy.load(stateDict())
        return copy
    }

    /// The loaded parameters and buffers by dotted key.
    func stateDict() -> StateDict {
        var tensors: [String: Tensor] = [:]
        for (key, parameter) in network.namedParameters {
            if let value = parameter.value { tensors[key] = value }
        }
        return StateDict(tensors)
    }
}

/// The result of the model-parameter randomisation test: the attribution of the trained model
/// and, after each evaluated stage of the cascade, the attribution of the partly randomised
/// copy with its rank correlation to the original.
public struct SanityCheck: Sendable {
    /// One evaluated point of the cascade.
    public struct Stage: Sendable {
        /// How many stages of ``SanityCheck/cascade`` are randomised (0: the trained model).
        public let depth: Int
        /// The stage randomised last (`nil` at depth 0).
        public let randomized: RandomizationStage?
        /// The attribution of the model at this depth, for the same input and target.
        public let attribution: Attribution
        /// Spearman's ρ between the absolute values of the original's map and this one.
        public let rankCorrelation: Double
        /// Spearman's ρ between the signed maps; equal to ``rankCorrelation`` for methods
        /// whose maps are magnitudes (saliency without `signed`, Grad-CAM with its ReLU).
        public let signedRankCorrelation: Double

        /// "original" or the stage's name.
        public var label: String { randomized?.name ?? "original" }
    }

    /// Every stage of the model's cascade, top first (``Model/randomizationStages``).
    public let cascade: [RandomizationStage]
    /// The evaluated points: depth 0 first, then by increasing depth.
    public let stages: [Stage]
    /// The seed of the re-initialisation.
    public let seed: UInt64
}

extension Attributor {
    /// The cascading model-parameter randomisation test of "Sanity Checks for Saliency Maps".
    ///
    /// The test (Adebayo et al. 2018, https://arxiv.org/abs/1810.03292) re-initialises the
    /// model's layers cumulatively from the logits down (``Model/randomizationStages``) and
    /// compares each map with the trained model's by Spearman's rank correlation, on absolute
    /// values and signed, as the paper reports both. A method that explains the model should
    /// lose the correlation as soon as the top layers are random.
    ///
    /// The layers are randomised in a copy; ``model`` is never changed. Re-initialisation is
    /// PyTorch's `reset_parameters()` for convolutions and linear layers: weights and biases
    /// uniform in ±1/√fan-in (`kaiming_uniform_(a=√5)`), fan-in = input channels / groups ×
    /// kernel area. Batch norms get weight 1 and bias 0 and keep their running statistics, as in
    /// the paper's code, which re-initialised only the trainable variables (the moving averages
    /// are not). Each stage draws from its own `SplitMix64` seeded by `seed` and the stage's
    /// position, so a stage's values do not depend on `stages` or `every`.
    ///
    /// The target stays the one given (the paper's code explains each randomised model's own
    /// top class instead); maps are compared at the input's size (``Attribution/map(size:)``).
    ///
    /// - Parameters:
    ///   - method: The attribution method tested.
    ///   - input: `[1, 3, H, W]`, normalised.
    ///   - seen: The image as the model sees it (for Integrated Gradients' baseline).
    ///   - target: What is explained, the same for every randomised model.
    ///   - settings: The method's settings.
    ///   - stages: Randomise only the top this-many stages; `nil` goes down to the input.
    ///   - every: Compute the map after every `every`-th stage (and always after the last).
    ///   - seed: Seeds the re-initialisation.
    /// - Returns: Depth 0 (the trained model, ρ = 1) and each evaluated depth.
    /// - Throws: ``InterpError/invalidParameter(_:)`` for `stages` < 1 or `every` < 1; the
    ///   method's errors.
    public func sanityCheck(
        _ method: AttributionMethod, input: Tensor, seen: RGBImage, target: ResolvedTarget,
        settings: AttributionSettings = AttributionSettings(), stages: Int? = nil, every: Int = 1, seed: UInt64 = 0
    ) throws -> SanityCheck {
        let cascade = model.randomizationStages
        if let stages, stages < 1 { throw InterpError.invalidParameter("stages must be at least 1, found \(stages)") }
        guard every >= 1 else { throw InterpError.invalidParameter("every must be at least 1, found \(every)") }
        let depth = Swift.min(stages ?? cascade.count, cascade.count)
        let copy = try model.independentCopy()
        let randomized = Attributor(model: copy)
        let size = (height: input.shape[2], width: input.shape[3])

        let original = try randomized.attribute(method, input: input, seen: seen, target: target, settings: settings)
        let originalMap = original.map(size: size)
        guard !originalMap.contains(where: \.isNaN) else {
            throw InterpError.invalidParameter("the trained model's \(original.method) map holds NaN")
        }
        // Unsigned maps are their own magnitudes: rank them once.
        let signedRanks = RankCorrelation.ranks(originalMap)
        let magnitudeRanks = original.isSigned ? RankCorrelation.ranks(originalMap.map(Swift.abs)) : signedRanks
        var results = [SanityCheck.Stage(depth: 0, randomized: nil, attribution: original, rankCorrelation: 1, signedRankCorrelation: 1)]

        var state = copy.stateDict()
        let modules = Dictionary(copy.network.namedModules.map { ($0.name, $0.module) }, uniquingKeysWith: { first, _ in first })
        for index in 0..<depth {
            var generator = SplitMix64(seed: seed &+ UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15)
            for layer in cascade[index].layers {
                guard let module = modules[layer] else { continue }
                for (key, value) in try Self.reinitialized(module, named: layer, using: &generator) { state[key] = value }
            }
            guard (index + 1) % every == 0 || index + 1 == depth else { continue }
            try copy.load(state)
            let attribution = try randomized.attribute(method, input: input, seen: seen, target: target, settings: settings)
            let map = attribution.map(size: size)
            let signed = try RankCorrelation.spearman(ranked: signedRanks, map)
            let magnitude = original.isSigned ? try RankCorrelation.spearman(ranked: magnitudeRanks, map.map(Swift.abs)) : signed
            results.append(
                SanityCheck.Stage(
                    depth: index + 1, randomized: cascade[index], attribution: attribution,
                    rankCorrelation: magnitude, signedRankCorrelation: signed))
        }
        return SanityCheck(cascade: cascade, stages: results, seed: seed)
    }

    /// Fresh values for every parameter of `module` and its descendants, by dotted key.
    static func reinitialized(_ module: any Module, named name: String, using generator: inout SplitMix64) throws -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        for (path, layer) in module.namedModules {
            let prefix = path.isEmpty ? name + "." : name + "." + path + "."
            if let norm = layer as? BatchNorm2d {
                out.append((prefix + norm.weight.key, try Tensor.ones(norm.weight.shape)))
                out.append((prefix + norm.bias.key, try Tensor.zeros(norm.bias.shape)))
                continue
            }
            let parameters = layer.parameters
            guard let weight = parameters.first(where: { $0.key == "weight" }), weight.shape.count >= 2 else { continue }
            let fanIn = weight.shape.dropFirst().reduce(1, *)
            let bound = 1 / Float(Swift.max(fanIn, 1)).squareRoot()
            for parameter in parameters where parameter.key == "weight" || parameter.key == "bias" {
                let count = parameter.shape.reduce(1, *)
                var values = [Float](repeating: 0, count: count)
                for i in 0..<count { values[i] = Float.random(in: -bound..<bound, using: &generator) }
                out.append((prefix + parameter.key, try Tensor(shape: parameter.shape, scalars: values)))
            }
        }
        return out
    }
}
