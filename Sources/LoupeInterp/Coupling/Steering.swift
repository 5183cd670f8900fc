import LoupeModels
import LoupeTensor

/// How a sentence's pattern (one number per channel) is laid onto a layer's feature maps.
public enum SteeringMode: String, Sendable, CaseIterable {
    /// The same amount at every position of a channel's map.
    case broadcast
    /// Each channel's amount spread in proportion to the image's own map of that channel
    /// (its magnitude, normalised to a mean of 1), so the shift follows where the channel
    /// already fires; the map's mean moves by the same amount as with `broadcast`.
    case scaled
}

/// A sentence turned into a change of one layer's activations through a coupling adaptor.
///
/// The adaptor predicts, for the sentence's vector, each channel's activation in the channel's
/// standard deviations over the probes (`z`); the pattern in the layer's own units is `z × σ`
/// (σ of the summary the adaptor was fitted on, the spatial mean or maximum). Channels the
/// adaptor does not couple are left out unless asked for: their predictions are what chance fits.
public struct SentencePattern: Sendable {
    /// The sentence.
    public let sentence: String
    /// The predicted activation per channel, in the channel's standard deviations (0 where
    /// the channel is left out).
    public let standardised: [Double]
    /// The change per channel in the layer's units: `standardised × σ`.
    public let values: [Float]
    /// The channels the pattern uses.
    public let channels: [Int]

    /// The pattern of `sentence` (with its `vector` from the adaptor's encoder) through `adaptor`,
    /// over its coupled channels or, with `allChannels`, over every live one.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for a vector of another dimension, or when
    ///   no channel is left to steer.
    public init(sentence: String, vector: [Float], adaptor: Adaptor, allChannels: Bool = false) throws {
        let predicted = try adaptor.predict([vector])[0]
        let used = Set((allChannels ? adaptor.channels.filter { !$0.dead } : adaptor.coupled).map(\.channel))
        guard !used.isEmpty else {
            throw InterpError.invalidParameter(
                "the adaptor couples no channel of \(adaptor.provenance.layer): nothing to steer (use all channels to steer with chance fits)"
            )
        }
        let z = predicted.indices.map { used.contains($0) ? predicted[$0] : 0 }
        self.sentence = sentence
        standardised = z
        values = z.indices.map { Float(z[$0] * adaptor.activationStd[$0]) }
        channels = used.sorted()
    }

    /// The same pattern pointing the other way (the control when no opposite sentence is given).
    public var negated: SentencePattern {
        SentencePattern(
            sentence: "the negation of “\(sentence)”", standardised: standardised.map { -$0 }, values: values.map { -$0 },
            channels: channels)
    }

    private init(sentence: String, standardised: [Double], values: [Float], channels: [Int]) {
        self.sentence = sentence
        self.standardised = standardised
        self.values = values
        self.channels = channels
    }
}

/// The top classes of an image with a sentence's pattern added to one layer, for each strength.
public struct SteeringRun: Sendable {
    /// One strength's outcome.
    public struct Step: Sendable {
        /// The strength α (0: the model as it is).
        public let alpha: Double
        /// The top classes.
        public let ranking: [ClassScore]
        /// The probability of the unsteered top class.
        public let originalProbability: Float
    }

    /// The pattern added.
    public let pattern: SentencePattern
    /// One step per strength, in the order asked.
    public let steps: [Step]
}

/// Steers a model without training: adds `α ×` a sentence's pattern to a layer's output during
/// the forward pass and reports what the model then predicts.
///
/// The pattern is added at the layer's last run in a pass, as ablation zeroes channels there
/// (``LayerIntervention``): everything after the layer sees the change, nothing before it does.
public struct Steering: Sendable {
    /// The model.
    public let model: Model
    /// The layer steered.
    public let layer: String

    /// Steering of `layer` of `model`.
    ///
    /// - Throws: ``LoupeModels/ModelError/unknownLayer(model:name:suggestions:)``.
    public init(model: Model, layer: String) throws {
        _ = try model.layer(named: layer)
        self.model = model
        self.layer = layer
    }

    /// The top classes of `input` (`[1, 3, H, W]`, normalised) with `α × pattern` added to the
    /// layer, for each of `alphas`, in one batched forward pass.
    ///
    /// - Throws: ``InterpError/notAFeatureMap(layer:shape:)`` for a layer whose output is not
    ///   `[N, C, H, W]` or `[N, C]`; ``InterpError/invalidParameter(_:)`` when the pattern has
    ///   another number of channels than the layer.
    public func run(_ pattern: SentencePattern, input: Tensor, alphas: [Double], mode: SteeringMode = .broadcast, top: Int = 5) throws
        -> SteeringRun
    {
        guard input.rank == 4, input.shape[0] == 1 else {
            throw InterpError.invalidParameter("steering takes one image [1, 3, H, W], got \(input.shape)")
        }
        // One clean pass: how often the layer runs, and its output where it is steered.
        let intervention = LayerIntervention(model: model, layer: layer)
        let (logits, runs, clean) = try intervention.observe(input)
        guard let clean, clean.rank == 4 || clean.rank == 2 else {
            throw InterpError.notAFeatureMap(layer: layer, shape: clean?.shape ?? [])
        }
        let channels = clean.shape[1]
        guard pattern.values.count == channels else {
            throw InterpError.invalidParameter(
                "the pattern has \(pattern.values.count) channels; \(layer) has \(channels): the adaptor was fitted for another layer")
        }
        let original = try logits.scalars
        let originalTop = original.indices.max { original[$0] < original[$1] } ?? 0

        // Each row's change: α × pattern, per channel, broadcast or shaped like the image's map.
        let batch = alphas.count
        let spatial = clean.rank == 4 ? [1, 1] : []
        let coefficients = try Tensor(
            shape: [batch, channels] + spatial, scalars: alphas.flatMap { alpha in pattern.values.map { Float(alpha) * $0 } })
        var shape: Tensor?
        if mode == .scaled, clean.rank == 4 {
            let magnitude = try clean.abs()
            let mean = try magnitude.mean(axes: [2, 3], keepingDimensions: true)
            // A channel that never fires gets the broadcast amount (its map has no shape to follow).
            let safe = try mean.scalars.map { $0 > 1e-12 ? $0 : Float.nan }
            let normalised = try magnitude.scalars.enumerated().map { index, value in
                let m = safe[index / (clean.shape[2] * clean.shape[3])]
                return m.isNaN ? 1 : value / m
            }
            shape = try Tensor(shape: clean.shape, scalars: normalised)
        }
        let delta = try shape.map { try coefficients * $0 } ?? coefficients
        let repeated = batch == 1 ? input : try Tensor.concatenate(Array(repeating: input, count: batch), axis: 0)
        let steered = try intervention.logits(repeated, runs: runs) { try $0 + delta }
        let values = try steered.scalars
        let classes = steered.shape[1]
        let steps = try alphas.enumerated().map { row, alpha in
            let rowLogits = Array(values[(row * classes)..<((row + 1) * classes)])
            let probabilities = try Tensor(shape: [1, classes], scalars: rowLogits).softmax(axis: -1).scalars
            return SteeringRun.Step(
                alpha: alpha, ranking: try ClassScore.ranking(rowLogits, labels: model.labels, count: top),
                originalProbability: probabilities[originalTop])
        }
        return SteeringRun(pattern: pattern, steps: steps)
    }
}
