import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// How a channel's feature map on one probe becomes one number.
public enum ActivationSummary: String, CaseIterable, Sendable, Codable {
    /// The mean over the map: how much of the probe holds the pattern (the default).
    case mean
    /// The largest value: whether the probe holds the pattern anywhere.
    case max
}

/// A layer's channels over a probe set: for every probe and channel, the feature map's mean and
/// maximum.
public struct ProbeActivations: Sendable {
    /// The model's name.
    public let model: String
    /// The layer's dotted name.
    public let layer: String
    /// How many channels the layer has.
    public let channels: Int
    /// How many probes.
    public let probes: Int
    /// `[probes × channels]`, row-major: each feature map's mean.
    public let means: [Float]
    /// `[probes × channels]`, row-major: each feature map's maximum.
    public let maxima: [Float]
    /// Whether the values came from the cache.
    public let cached: Bool

    /// `[probes × channels]` as `summary` asks.
    public func values(_ summary: ActivationSummary) -> [Float] {
        summary == .mean ? means : maxima
    }

    /// One channel over every probe.
    public func channel(_ channel: Int, _ summary: ActivationSummary) -> [Float] {
        let values = values(summary)
        return (0..<probes).map { values[$0 * channels + channel] }
    }

    /// The activations of `layers` over `probes`, from one batched forward pass per batch
    /// without gradients that stops after the last of the layers, or from the cache.
    ///
    /// The cache (`LOUPE_HOME/activations`) is keyed by the model's weights, the layer, the
    /// model's preprocessing and the probe set's fingerprint, so describing the same layer with
    /// another vocabulary or annotator costs no forward pass.
    ///
    /// - Throws: ``LoupeModels/ModelError/unknownLayer(model:name:suggestions:)``,
    ///   ``InterpError/notAFeatureMap(layer:shape:)``, the decoders' errors.
    public static func compute(
        model: Model, layers: [String], probes: ProbeSet, batchSize: Int = 16, cache: ActivationCache? = ActivationCache(),
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> [String: ProbeActivations] {
        for layer in layers { _ = try model.layer(named: layer) }
        let weights = cache == nil ? "" : try ModelFingerprint.of(model)
        func key(_ layer: String) -> String {
            SHA256Digest.hex(
                of: Data("activations v1\n\(weights)\n\(layer)\n\(model.preprocessing)\n\(probes.fingerprint)".utf8))
        }
        var result: [String: ProbeActivations] = [:]
        for layer in layers {
            if let cache, let stored = cache.matrix(key(layer)), stored.rows == probes.probes.count, stored.columns % 2 == 0 {
                let channels = stored.columns / 2
                var means = [Float](), maxima = [Float]()
                means.reserveCapacity(stored.rows * channels)
                maxima.reserveCapacity(stored.rows * channels)
                for row in 0..<stored.rows {
                    means += stored.values[(row * stored.columns)..<(row * stored.columns + channels)]
                    maxima += stored.values[(row * stored.columns + channels)..<((row + 1) * stored.columns)]
                }
                result[layer] = ProbeActivations(
                    model: model.name, layer: layer, channels: channels, probes: stored.rows, means: means, maxima: maxima, cached: true)
            }
        }
        let missing = layers.filter { result[$0] == nil }
        guard !missing.isEmpty else { return result }

        let size = model.preprocessing.size
        let probe = try ForwardProbe(model: model, layers: Set(missing), needsLogits: false, sample: try Tensor.zeros([1, 3, size, size]))
        var means: [String: [Float]] = [:], maxima: [String: [Float]] = [:], channels: [String: Int] = [:]
        try probes.forEachBatch(preprocessing: model.preprocessing, batchSize: batchSize) { indices, input in
            let (_, captured) = try GradMode.withoutGrad { try probe.run(input) }
            for layer in missing {
                // A linear layer's [N, C] output counts as C maps of one value (logits as neurons).
                guard let output = captured[layer], output.rank == 4 || output.rank == 2, output.shape[0] == indices.count else {
                    throw InterpError.notAFeatureMap(layer: layer, shape: captured[layer]?.shape ?? [])
                }
                let (batch, count) = (output.shape[0], output.shape[1])
                let plane = output.rank == 4 ? output.shape[2] * output.shape[3] : 1
                channels[layer] = count
                let values = try output.scalars
                for n in 0..<batch {
                    for c in 0..<count {
                        let start = (n * count + c) * plane
                        var sum: Float = 0, best = -Float.infinity
                        for i in start..<(start + plane) {
                            sum += values[i]
                            best = Swift.max(best, values[i])
                        }
                        means[layer, default: []].append(sum / Float(plane))
                        maxima[layer, default: []].append(best)
                    }
                }
            }
            progress(indices.upperBound, probes.probes.count)
        }
        for layer in missing {
            let count = channels[layer] ?? 0
            let m = means[layer] ?? [], x = maxima[layer] ?? []
            result[layer] = ProbeActivations(
                model: model.name, layer: layer, channels: count, probes: probes.probes.count, means: m, maxima: x, cached: false)
            if let cache {
                var joined = [Float]()
                joined.reserveCapacity(m.count * 2)
                for row in 0..<probes.probes.count {
                    joined += m[(row * count)..<((row + 1) * count)]
                    joined += x[(row * count)..<((row + 1) * count)]
                }
                try cache.store(key(layer), rows: probes.probes.count, columns: 2 * count, values: joined)
            }
        }
        return result
    }
}

/// Matrices of floats kept as `.npy` files under `LOUPE_HOME/activations`, named by a key.
///
/// Files are written atomically; a file that does not read back as the expected matrix is a
/// miss, never an error.
public struct ActivationCache: Sendable {
    /// The folder holding the files.
    public let folder: URL

    /// The cache in `home`'s `activations` folder.
    public init(home: URL = ModelStore().home) {
        folder = home.appendingPathComponent("activations")
    }

    /// The matrix stored under `key`, or `nil`.
    func matrix(_ key: String) -> (rows: Int, columns: Int, values: [Float])? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("\(key).npy")),
            let (values, shape) = try? NPY.decode(data), shape.count == 2, values.count == shape[0] * shape[1]
        else { return nil }
        return (shape[0], shape[1], values)
    }

    /// Stores a `rows × columns` matrix under `key`.
    func store(_ key: String, rows: Int, columns: Int, values: [Float]) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try NPY.encode(values, shape: [rows, columns]).write(to: folder.appendingPathComponent("\(key).npy"), options: .atomic)
    }
}

/// A SHA-256 of a model's tensors (names, shapes and values), so caches follow the weights,
/// whatever file or store entry they came from.
enum ModelFingerprint {
    static func of(_ model: Model) throws -> String {
        var data = Data("\(model.architecture.map { "\($0)" } ?? model.architectureName)\n".utf8)
        for (key, parameter) in model.network.namedParameters.sorted(by: { $0.key < $1.key }) {
            data += Data("\(key) \(parameter.shape)\n".utf8)
            if let value = parameter.value { try value.scalars.withUnsafeBytes { data += Data($0) } }
        }
        return SHA256Digest.hex(of: data)
    }
}
