import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// How one image's feature map of a channel is summarised into the number images are ranked by.
public enum ActivationScore: String, CaseIterable, Sendable {
    /// The largest value anywhere in the map: the image holds the pattern somewhere (the default,
    /// as in Zeiler & Fergus's and Olah et al.'s dataset examples).
    case max
    /// The mean over the map: the pattern covers the image.
    case mean
}

/// One image among a channel's top examples.
public struct DatasetExample: Sendable {
    /// The image file.
    public let file: URL
    /// The value the images were ranked by (``ActivationScore``).
    public let score: Float
    /// The channel's largest activation in this image.
    public let maximum: Float
    /// The channel's mean activation in this image.
    public let mean: Float
    /// Where the largest activation is in the feature map (the first such position in row-major
    /// order).
    public let location: FeatureLocation
    /// The receptive field of ``location`` in ``image``, clipped to it.
    public let region: PixelRegion
    /// The image as the model saw it: resized and cropped by the model's preprocessing, not
    /// normalised.
    public let image: RGBImage
    /// ``image`` cropped to ``region``.
    public let patch: RGBImage

    /// The file's name, for captions.
    public var name: String { file.lastPathComponent }
}

/// A position in a feature map.
public struct FeatureLocation: Sendable, Equatable, CustomStringConvertible {
    /// The row (y), from 0 at the top of the feature map.
    public var row: Int
    /// The column (x), from 0 at the left of the feature map.
    public var column: Int

    /// The position at `row` and `column`.
    public init(row: Int, column: Int) {
        self.row = row
        self.column = column
    }

    /// The position for captions, as `(row 3, column 5)`.
    public var description: String { "(row \(row), column \(column))" }
}

/// A file left out of a ranking, and why.
public struct SkippedFile: Sendable, Equatable {
    /// The file left out.
    public let file: URL
    /// The decoder's message without the file's path ("not a PNG or JPEG image …").
    public let reason: String
}

/// Why a set of images cannot be ranked.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// The folder does not exist.
    case missingFolder(path: String)
    /// The path is a file, not a folder.
    case notAFolder(path: String)
    /// The folder (or list) holds no JPEG or PNG file.
    case noImages(path: String)
    /// Every image failed to decode.
    case noReadableImages(skipped: [SkippedFile])

    /// The message shown to the user, naming the folder, or the first files that could not be read.
    public var description: String {
        switch self {
        case let .missingFolder(path): "the folder '\(path)' does not exist"
        case let .notAFolder(path): "'\(path)' is a file, not a folder of images"
        case let .noImages(path): "'\(path)' holds no .jpg, .jpeg or .png files"
        case let .noReadableImages(skipped):
            "none of the \(skipped.count) images could be read: "
                + skipped.prefix(3).map { "\($0.file.lastPathComponent) (\($0.reason))" }.joined(separator: "; ")
        }
    }
}

/// The images of a collection that excite one channel of a layer most ("dataset examples"), with
/// the patch of each image that the channel's strongest position sees.
///
/// Every image is decoded with `LoupeImage`, preprocessed with the model's own preprocessing and
/// run through the network in batches without gradients, capturing the layer's output (its last
/// run, as ``LoupeModels/Model/forward(_:capturing:)`` does) and stopping there. Each image is scored by the
/// channel's maximum over the feature map (or its mean, ``ActivationScore``); the location of
/// the maximum picks the receptive-field patch (``ReceptiveField``). Files that do not decode are
/// listed in ``skipped`` and do not stop the ranking.
public struct DatasetExamples: Sendable {
    /// The extensions (lower-case) of the files a folder contributes.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// The model's name.
    public let model: String
    /// The layer's dotted name.
    public let layer: String
    /// The channel ranked by.
    public let channel: Int
    /// How images were scored.
    public let score: ActivationScore
    /// The layer's receptive field, which the patches are cut to.
    public let receptiveField: ReceptiveField
    /// The best images, best first (ties keep file order).
    public let examples: [DatasetExample]
    /// How many images were scored.
    public let imageCount: Int
    /// Files that could not be decoded or preprocessed.
    public let skipped: [SkippedFile]

    /// The JPEG and PNG files directly inside `folder` (not in subfolders), sorted by name.
    ///
    /// - Throws: ``DatasetError/missingFolder(path:)``, ``DatasetError/notAFolder(path:)`` or
    ///   ``DatasetError/noImages(path:)``, naming the folder.
    public static func imageFiles(in folder: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            throw DatasetError.missingFolder(path: folder.path)
        }
        guard isDirectory.boolValue else { throw DatasetError.notAFolder(path: folder.path) }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        let files = names.filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }
            .sorted()
            .map { folder.appendingPathComponent($0) }
        guard !files.isEmpty else { throw DatasetError.noImages(path: folder.path) }
        return files
    }

    /// Ranks `files` by the activation of `channel` of `layer` and keeps the best `count`.
    ///
    /// - Parameters:
    ///   - model: The model whose layer is read, with its weights and preprocessing.
    ///   - layer: The layer's dotted name.
    ///   - channel: The channel of the layer's output that ranks the images.
    ///   - files: The images, in the order ties are broken (``imageFiles(in:)`` sorts a folder).
    ///   - count: How many examples to keep (fewer when fewer images decode).
    ///   - score: What ranks the images.
    ///   - batchSize: Images per forward pass.
    /// - Throws: ``LoupeModels/ModelError/unknownLayer(model:name:suggestions:)``,
    ///   ``InterpError/notAFeatureMap(layer:shape:)``, ``InterpError/channelOutOfRange(layer:channel:channels:)``,
    ///   ``InterpError/invalidParameter(_:)`` for a count or batch size below 1,
    ///   ``DatasetError/noImages(path:)`` for an empty list and
    ///   ``DatasetError/noReadableImages(skipped:)`` when no file decodes.
    public init(
        model: Model, layer: String, channel: Int, files: [URL], count: Int = 6,
        score: ActivationScore = .max, batchSize: Int = 8
    ) throws {
        guard count >= 1 else { throw InterpError.invalidParameter("the number of examples must be at least 1, got \(count)") }
        guard batchSize >= 1 else { throw InterpError.invalidParameter("the batch size must be at least 1, got \(batchSize)") }
        let field = try ReceptiveField(layer: layer, in: model)
        guard (0..<field.channels).contains(channel) else {
            throw InterpError.channelOutOfRange(layer: layer, channel: channel, channels: field.channels)
        }
        guard !files.isEmpty else { throw DatasetError.noImages(path: "the list of files") }
        let size = model.preprocessing.size
        let probe = try ForwardProbe(model: model, layers: [layer], needsLogits: false, sample: try Tensor.zeros([1, 3, size, size]))

        var scored: [(file: Int, activation: ChannelActivation)] = []
        var skipped: [SkippedFile] = []
        var start = 0
        while start < files.count {
            var batch: [(file: Int, input: Tensor)] = []
            var next = start
            while batch.count < batchSize, next < files.count {
                do {
                    let image = try RGBImage(contentsOf: files[next])
                    batch.append((next, try model.preprocessing.tensor(from: image)))
                } catch {
                    var reason = String(describing: error)
                    if reason.hasPrefix(files[next].path + ": ") { reason.removeFirst(files[next].path.count + 2) }
                    skipped.append(SkippedFile(file: files[next], reason: reason))
                }
                next += 1
            }
            start = next
            guard !batch.isEmpty else { continue }
            let activations = try Self.channelActivations(
                probe: probe, layer: layer, channel: channel,
                inputs: try Tensor.concatenate(batch.map(\.input), axis: 0))
            scored += zip(batch, activations).map { ($0.file, $1) }
        }
        guard !scored.isEmpty else { throw DatasetError.noReadableImages(skipped: skipped) }

        let ranked = scored.enumerated().sorted { a, b in
            let (x, y) = (a.element.activation.value(score), b.element.activation.value(score))
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
        var examples: [DatasetExample] = []
        for (file, activation) in ranked.prefix(count) {
            let seen = try model.preprocessing.preparedImage(from: try RGBImage(contentsOf: files[file]))
            let region = field.region(row: activation.location.row, column: activation.location.column)
            let patch = try seen.cropped(x: region.left, y: region.top, width: region.width, height: region.height)
            examples.append(
                DatasetExample(
                    file: files[file], score: activation.value(score), maximum: activation.maximum, mean: activation.mean,
                    location: activation.location, region: region, image: seen, patch: patch))
        }
        self.model = model.name
        self.layer = layer
        self.channel = channel
        self.score = score
        receptiveField = field
        self.examples = examples
        imageCount = scored.count
        self.skipped = skipped
    }

    /// The summary of one image's feature map of the channel.
    struct ChannelActivation {
        var maximum: Float
        var mean: Float
        var location: FeatureLocation

        func value(_ score: ActivationScore) -> Float {
            switch score {
            case .max: maximum
            case .mean: mean
            }
        }
    }

    /// The channel's maximum, its first location and the mean, for each image of `inputs`
    /// (`[N, 3, H, W]`), from one forward pass without gradients that stops after the layer's
    /// last run.
    static func channelActivations(probe: ForwardProbe, layer: String, channel: Int, inputs: Tensor) throws -> [ChannelActivation] {
        let (_, captured) = try GradMode.withoutGrad { try probe.run(inputs) }
        guard let output = captured[layer], output.rank == 4, output.shape[0] == inputs.shape[0] else {
            throw InterpError.notAFeatureMap(layer: layer, shape: captured[layer]?.shape ?? [])
        }
        let (batch, channels, height, width) = (output.shape[0], output.shape[1], output.shape[2], output.shape[3])
        guard (0..<channels).contains(channel) else {
            throw InterpError.channelOutOfRange(layer: layer, channel: channel, channels: channels)
        }
        let values = try output.scalars
        let plane = height * width
        return (0..<batch).map { n in
            let start = (n * channels + channel) * plane
            var best = start
            var sum: Double = 0
            for i in start..<(start + plane) {
                if values[i] > values[best] { best = i }
                sum += Double(values[i])
            }
            let offset = best - start
            return ChannelActivation(
                maximum: values[best], mean: Float(sum / Double(plane)),
                location: FeatureLocation(row: offset / width, column: offset % width))
        }
    }
}
