import Foundation
import LoupeModels
import LoupeTensor

/// The proposal's adaptor: a linear map (with bias) from a text encoder's sentence vectors to
/// the standardised activations of one layer's channels, fitted on photos with words, with the
/// evidence for each channel (``ChannelCoupling``).
///
/// A sentence's predicted activation of channel `c` is `(e − ē) · W[:, c]` in standard
/// deviations of the channel over the probes: 0 is the channel's mean response, 2 a strong one.
/// The sentences with the largest predictions are the ones that, through the adaptor, excite the
/// channel most.
public struct Adaptor: Sendable {
    /// Where an adaptor comes from: enough to refuse it for another model, layer or encoder, and
    /// to say in a report what it was fitted on.
    public struct Provenance: Sendable, Equatable, Codable {
        /// The explained model's name.
        public var model: String
        /// The SHA-256 of the explained model's tensors.
        public var modelFingerprint: String
        /// The layer's dotted name.
        public var layer: String
        /// How the layer's maps were summarised.
        public var summary: ActivationSummary
        /// The text encoder's store name.
        public var encoder: String
        /// The text encoder's weights' SHA-256.
        public var encoderSHA256: String
        /// What gave each probe its words (``Annotator/description``).
        public var annotator: String
        /// The probe set's fingerprint.
        public var probes: String
        /// How many probes.
        public var probeCount: Int
        /// How many photos the probes come from.
        public var photoCount: Int
        /// Photos held out for the channels' r.
        public var heldOutPhotos: Int
        /// Folds of the penalty's cross-validation.
        public var folds: Int
        /// Permutation draws per channel.
        public var permutations: Int
        /// The seed of the split, folds and permutations.
        public var seed: UInt64

        /// Provenance with every field given.
        public init(
            model: String, modelFingerprint: String, layer: String, summary: ActivationSummary, encoder: String, encoderSHA256: String,
            annotator: String, probes: String, probeCount: Int, photoCount: Int, heldOutPhotos: Int, folds: Int, permutations: Int,
            seed: UInt64
        ) {
            self.model = model
            self.modelFingerprint = modelFingerprint
            self.layer = layer
            self.summary = summary
            self.encoder = encoder
            self.encoderSHA256 = encoderSHA256
            self.annotator = annotator
            self.probes = probes
            self.probeCount = probeCount
            self.photoCount = photoCount
            self.heldOutPhotos = heldOutPhotos
            self.folds = folds
            self.permutations = permutations
            self.seed = seed
        }
    }

    /// What the adaptor was fitted on.
    public let provenance: Provenance
    /// Every channel's fit, in channel order.
    public let channels: [ChannelCoupling]
    /// `[text dimension × channels]`.
    let weights: Matrix
    /// The mean text vector of the fit.
    let textMean: [Double]
    /// Each channel's mean over the probes.
    public let activationMean: [Double]
    /// Each channel's standard deviation over the probes (the unit of a prediction).
    public let activationStd: [Double]

    /// The data the adaptor was fitted on, kept in memory after ``fit(model:layer:probes:annotator:embedder:summary:settings:cache:progress:)``
    /// (not in files) so that channels can also be dissected.
    public internal(set) var evidence: CouplingEvidence?

    /// The channels whose held-out r beats the permutation null.
    public var coupled: [ChannelCoupling] { channels.filter(\.coupled) }

    /// Fits an adaptor for `layer` of `model`: the layer's activations over `probes` (cached),
    /// the annotator's text vectors for the same probes, then ``RidgeCoupling``.
    ///
    /// - Throws: the activation, annotator and fitting errors, naming the layer or the file.
    public static func fit(
        model: Model, layer: String, probes: ProbeSet, annotator: any Annotator, embedder: TextEmbedder,
        summary: ActivationSummary = .mean, settings: CouplingSettings = CouplingSettings(),
        cache: ActivationCache? = ActivationCache(), progress: (String) -> Void = { _ in }
    ) throws -> Adaptor {
        let activations = try ProbeActivations.compute(model: model, layers: [layer], probes: probes, cache: cache) { done, total in
            if done == total || done % 256 < 16 { progress("activations of \(layer): \(done)/\(total) probes") }
        }
        guard let layerActivations = activations[layer] else { throw InterpError.internalError("no activations for \(layer)") }
        progress("annotating \(probes.probes.count) probes: \(annotator.description)")
        let texts = try annotator.textVectors(for: probes, embedder: embedder)
        progress("fitting \(layerActivations.channels) channels (\(settings.folds)-fold penalties, \(settings.permutations) permutations)")
        let provenance = Provenance(
            model: model.name, modelFingerprint: try ModelFingerprint.of(model), layer: layer, summary: summary, encoder: embedder.name,
            encoderSHA256: embedder.sha256, annotator: annotator.description, probes: probes.fingerprint, probeCount: probes.probes.count,
            photoCount: probes.files.count, heldOutPhotos: 0, folds: settings.folds, permutations: settings.permutations,
            seed: settings.seed)
        return try fit(
            texts: texts, activations: layerActivations.values(summary), channels: layerActivations.channels, photos: probes.photoOfProbe,
            provenance: provenance, settings: settings)
    }

    /// Fits an adaptor to given matrices: one text vector and `channels` activations per probe,
    /// probes grouped by `photos` (for planted channels, or activations from elsewhere).
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for sizes that disagree or too few photos.
    public static func fit(
        texts: [[Float]], activations: [Float], channels: Int, photos: [Int], provenance: Provenance,
        settings: CouplingSettings = CouplingSettings()
    ) throws -> Adaptor {
        guard activations.count == texts.count * channels, photos.count == texts.count else {
            throw InterpError.invalidParameter(
                "coupling: \(texts.count) texts, \(activations.count) activations for \(channels) channels, \(photos.count) photo indices")
        }
        let y = Matrix(rows: texts.count, columns: channels, values: activations.map(Double.init))
        let fit = try RidgeCoupling(x: Matrix(texts), y: y, photos: photos, settings: settings)
        var provenance = provenance
        provenance.heldOutPhotos = fit.heldOutPhotos
        var adaptor = Adaptor(
            provenance: provenance, channels: fit.channels, weights: fit.weights, textMean: fit.textMean,
            activationMean: fit.activationMean, activationStd: fit.activationStd)
        adaptor.evidence = CouplingEvidence(
            textVectors: texts, activations: activations, channels: channels, photos: photos, heldOutProbes: fit.heldOutRows,
            trainingWeights: fit.trainingWeights, trainingTextMean: fit.trainingTextMean, seed: settings.seed)
        return adaptor
    }

    /// Predicted standardised activations, `[texts][channels]`.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for vectors of another dimension than the
    ///   adaptor's encoder.
    public func predict(_ vectors: [[Float]]) throws -> [[Double]] {
        guard !vectors.isEmpty else { return [] }
        guard vectors.allSatisfy({ $0.count == textMean.count }) else {
            throw InterpError.invalidParameter("the adaptor expects text vectors of \(textMean.count) dimensions")
        }
        let predicted = Matrix.product(Matrix(vectors, subtracting: textMean), weights)
        return (0..<predicted.rows).map { row in Array(predicted.values[(row * predicted.columns)..<((row + 1) * predicted.columns)]) }
    }

    /// Refuses the adaptor for another model (by its tensors), layer or encoder.
    ///
    /// - Throws: ``CouplingError/invalidAdaptor(file:reason:)``.
    public func check(model: Model, layer: String, encoder: TextEmbedder, file: String) throws {
        if provenance.layer != layer {
            throw CouplingError.invalidAdaptor(file: file, reason: "it was fitted for layer \(provenance.layer), not \(layer)")
        }
        if provenance.encoder != encoder.name || provenance.encoderSHA256 != encoder.sha256 {
            throw CouplingError.invalidAdaptor(
                file: file, reason: "it was fitted with the text encoder \(provenance.encoder), not \(encoder.name)")
        }
        if try provenance.modelFingerprint != ModelFingerprint.of(model) {
            throw CouplingError.invalidAdaptor(
                file: file, reason: "it was fitted for \(provenance.model) with other weights than \(model.name)'s")
        }
    }

    // MARK: - Files

    /// The adaptor as a safetensors file: `weight` `[d, channels]`, `text_mean`, the channels'
    /// `activation_mean` and `activation_std`, and their fit statistics (`penalty`,
    /// `held_out_r`, `null_p95`, `p_value`, `dead`); the provenance as JSON in the metadata.
    public func encoded() throws -> Data {
        let d = weights.rows, m = weights.columns
        let floats = { (values: [Double]) in values.map(Float.init) }
        let provenanceJSON = String(decoding: try JSONEncoder.sorted.encode(provenance), as: UTF8.self)
        return try SafetensorsFile.encode(
            [
                .init(name: "weight", shape: [d, m], values: floats(weights.values)),
                .init(name: "text_mean", shape: [d], values: floats(textMean)),
                .init(name: "activation_mean", shape: [m], values: floats(activationMean)),
                .init(name: "activation_std", shape: [m], values: floats(activationStd)),
                .init(name: "penalty", shape: [m], values: floats(channels.map(\.penalty))),
                .init(name: "held_out_r", shape: [m], values: floats(channels.map(\.heldOutR))),
                .init(name: "null_p95", shape: [m], values: floats(channels.map(\.nullP95))),
                .init(name: "p_value", shape: [m], values: floats(channels.map(\.pValue))),
                .init(name: "dead", shape: [m], values: channels.map { $0.dead ? 1 : 0 }),
            ], metadata: ["format": "loupe-adaptor-1", "provenance": provenanceJSON])
    }

    /// Writes ``encoded()`` to `url` atomically (``AtomicFile``).
    ///
    /// - Throws: ``LoupeModels/AtomicFileError``; the encoder's errors.
    public func write(to url: URL) throws {
        try AtomicFile.write(try encoded(), to: url)
    }

    /// Reads an adaptor written by ``write(to:)``.
    ///
    /// - Throws: ``CouplingError/invalidAdaptor(file:reason:)`` for a file that is not an
    ///   adaptor or whose tensors disagree; the safetensors reader's errors.
    public init(contentsOf url: URL) throws {
        let (tensors, metadata) = try SafetensorsFile.read(contentsOf: url)
        let file = url.path
        guard metadata["format"] == "loupe-adaptor-1", let json = metadata["provenance"],
            let provenance = try? JSONDecoder().decode(Provenance.self, from: Data(json.utf8))
        else { throw CouplingError.invalidAdaptor(file: file, reason: "it is a safetensors file, but not a Loupe adaptor") }
        func vector(_ key: String, _ count: Int?) throws -> [Double] {
            guard let tensor = tensors[key], tensor.rank == 1, count == nil || tensor.shape[0] == count else {
                throw CouplingError.invalidAdaptor(file: file, reason: "its tensor \(key) is missing or has the wrong shape")
            }
            return try tensor.scalars.map(Double.init)
        }
        guard let weight = tensors["weight"], weight.rank == 2 else {
            throw CouplingError.invalidAdaptor(file: file, reason: "its tensor weight is missing or not a matrix")
        }
        let (d, m) = (weight.shape[0], weight.shape[1])
        let penalty = try vector("penalty", m), r = try vector("held_out_r", m), p95 = try vector("null_p95", m)
        let p = try vector("p_value", m), dead = try vector("dead", m)
        self.provenance = provenance
        weights = Matrix(rows: d, columns: m, values: try weight.scalars.map(Double.init))
        textMean = try vector("text_mean", d)
        activationMean = try vector("activation_mean", m)
        activationStd = try vector("activation_std", m)
        channels = (0..<m).map {
            ChannelCoupling(channel: $0, penalty: penalty[$0], heldOutR: r[$0], nullP95: p95[$0], pValue: p[$0], dead: dead[$0] != 0)
        }
    }

    init(
        provenance: Provenance, channels: [ChannelCoupling], weights: Matrix, textMean: [Double], activationMean: [Double],
        activationStd: [Double]
    ) {
        self.provenance = provenance
        self.channels = channels
        self.weights = weights
        self.textMean = textMean
        self.activationMean = activationMean
        self.activationStd = activationStd
    }
}

extension JSONEncoder {
    /// Sorted keys: the same value always encodes to the same bytes.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
