import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{examples}`: the images of a folder that excite one channel most (dataset examples), each
/// with a box around the receptive field of its strongest position, and those patches enlarged.
struct ExamplesDirective: Directive {
    static let name = "examples"
    static let summary =
        "Dataset examples: the images of a folder that excite one channel of a layer most, with the receptive-field patch around each maximum."
    static let example = """
        ```{examples}
        :model: net
        :folder: images
        :layer: _blocks.9
        :channel: 17
        :k: 4
        ```
        """

    /// The side (pixels) patches are enlarged towards, by a whole factor and nearest neighbour.
    static let patchDisplaySide = 96

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(
            help:
                "A folder of .jpg, .jpeg and .png files (not its subfolders), relative to the notebook like `{image}`'s `src`; every file's bytes are part of the cache key. Unreadable files are listed and skipped."
        )
        var folder: String
        @CellOption(
            help: "The layer, by its PyTorch dotted name (`_blocks.9`, `layer3.1.conv2`); a layer that runs twice is taken at its last run."
        )
        var layer: String
        @CellOption(range: 0...65_535, help: "The channel of the layer's output.")
        var channel: Int
        @CellOption(range: 1...64, help: "How many images to show.")
        var k = 6
        @CellOption(
            help: "Rank images by the channel's `max` over the feature map (the pattern is somewhere) or its `mean` (it is everywhere).")
        var score = ActivationScore.max
        @CellOption(help: "Also show each image's receptive-field patch around the maximum, enlarged.")
        var patches = true
        @CellOption(range: 1...64, help: "Images per forward pass.")
        var batch = 8
        @CellOption(help: "The caption of the images; by default model, layer, channel, score and folder.")
        var caption: String?
    }

    private let modelName: CellName<LoadedModel>
    private let folder: URL
    private let folderPath: String
    private let layer: String
    private let channel: Int
    private let count: Int
    private let score: ActivationScore
    private let patches: Bool
    private let batchSize: Int
    private let caption: String?

    init(_ cell: DirectiveCell<Options>) throws {
        let options = cell.options
        modelName = options.model
        folderPath = options.folder.trimmingCharacters(in: .whitespaces)
        folder = OptionText.resolve(path: folderPath, against: cell.baseDirectory)
        layer = options.layer.trimmingCharacters(in: .whitespaces)
        channel = options.channel
        count = options.k
        score = options.score
        patches = options.patches
        batchSize = options.batch
        caption = options.caption
    }

    /// The folder's image files with the SHA-256 of each, so that changing, adding or removing
    /// a photo invalidates the cell.
    func cacheKeyMaterial() throws -> [String] {
        try files().map { "image \($0.lastPathComponent) sha256 \(try FileHasher.digest(contentsOf: $0))" }
    }

    /// The folder's images, or an error naming `:folder:`.
    private func files() throws -> [URL] {
        try Self.imageFiles(in: folder, written: folderPath)
    }

    /// The JPEG and PNG files of a `:folder:` option, or an error naming the option and the
    /// folder as the notebook writes it (`path`).
    static func imageFiles(in folder: URL, written path: String) throws -> [URL] {
        do {
            return try DatasetExamples.imageFiles(in: folder)
        } catch DatasetError.missingFolder {
            throw CellError.unreadableFile(option: "folder", path: path, reason: "no such folder")
        } catch DatasetError.notAFolder {
            throw CellError.unreadableFile(option: "folder", path: path, reason: "it is a file, not a folder")
        } catch DatasetError.noImages {
            throw CellError.badOption(option: "folder", reason: "'\(path)' holds no .jpg, .jpeg or .png files")
        } catch {
            throw CellError.unreadableFile(option: "folder", path: path, reason: FileErrorReason.text(for: error))
        }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(modelName)
        let files = try files()
        let result: DatasetExamples
        do {
            result = try DatasetExamples(
                model: loaded.model, layer: layer, channel: channel, files: files,
                count: count, score: score, batchSize: batchSize)
        } catch let error as ModelError {
            throw CellError.badOption(option: "layer", reason: "\(error)")
        } catch let error as InterpError {
            switch error {
            case .channelOutOfRange: throw CellError.badOption(option: "channel", reason: "\(error)")
            default: throw CellError.badOption(option: "layer", reason: "\(error)")
            }
        } catch let error as DatasetError {
            throw CellError.badOption(option: "folder", reason: "\(error)")
        }

        let field = result.receptiveField
        let fieldSize =
            field.vertical.size == field.horizontal.size
            ? "\(field.vertical.size) px" : "\(field.horizontal.size)×\(field.vertical.size) px"
        let what = "channel \(channel) of \(layer) (\(loaded.caption))"
        let ranking = score == .max ? "maximum activation" : "mean activation"
        let images = try result.examples.enumerated().map { rank, example in
            let text = "\(rank + 1). \(example.name): \(score.rawValue) \(Self.format(example.score))"
            return try ImageOutput(
                Self.outlined(example.image, example.region), caption: text,
                alt: "\(example.name), ranked \(rank + 1) for \(what)")
        }
        var outputs = Self.rows(
            images,
            caption: caption
                ?? ("Top \(result.examples.count) of \(result.imageCount) images in \(folderPath) for \(what), by the channel's \(ranking); "
                    + "boxes mark the receptive field (\(fieldSize), stride \(field.vertical.stride)) of each image's maximum"))
        if patches {
            let tiles = try result.examples.map { example in
                try ImageOutput(
                    Self.enlarged(example.patch),
                    caption: "\(example.name) at \(example.location), \(example.region.width)×\(example.region.height) px",
                    alt: "receptive-field patch of \(example.name)")
            }
            outputs += Self.rows(
                tiles,
                caption:
                    "Receptive-field patches around each maximum of \(what): \(fieldSize) at stride \(field.vertical.stride), "
                    + "clipped to the \(field.inputSize) input, enlarged")
        }
        if !result.skipped.isEmpty {
            let count = result.skipped.count
            outputs.append(
                .table(
                    Table(
                        caption:
                            "\(count) file\(count == 1 ? "" : "s") in \(folderPath) could not be read and \(count == 1 ? "was" : "were") skipped",
                        columns: ["File", "Reason"], rows: result.skipped.map { [$0.file.lastPathComponent, $0.reason] })))
        }
        let read = Set(result.skipped.map(\.file))
        let provenance = try files.filter { !read.contains($0) }.map {
            Provenance.Image(
                path: (folderPath as NSString).appendingPathComponent($0.lastPathComponent), sha256: try FileHasher.digest(contentsOf: $0))
        }
        return CellRun(outputs: outputs, provenance: CellProvenance(images: provenance))
    }

    private static func format(_ value: Float) -> String { String(format: "%.3f", value) }

    /// `images` as rows of equal length (at most four to a row), so that every picture is shown
    /// at the same size; the caption goes under the last row.
    static func rows(_ images: [ImageOutput], caption: String) -> [CellOutput] {
        let rowCount = Swift.max(1, (images.count + 3) / 4)
        let perRow = Swift.max(1, (images.count + rowCount - 1) / rowCount)
        let chunks = stride(from: 0, to: Swift.max(images.count, 1), by: perRow).map {
            Array(images[$0..<Swift.min($0 + perRow, images.count)])
        }
        return chunks.enumerated().map { index, row in .images(row, caption: index == chunks.count - 1 ? caption : "") }
    }

    /// The probes with the largest `value` for a channel, as the model saw them, small, each
    /// captioned with its value in the channel's standard deviations (`sigma`), in rows under
    /// `caption`: whole photos only, or (`crops`) every probe, crops included — the probes a
    /// dissection's top-k is made of.
    static func strongestPhotos(
        of channel: Int, probes: ProbeSet, count: Int, preprocessing: Preprocessing, value: (Int) -> Float, sigma: (Float) -> Double,
        caption: String, crops: Bool = false
    ) throws -> [CellOutput] {
        let candidates = probes.probes.indices.filter { crops || probes.probes[$0].crop == nil }
        let best = candidates.sorted { value($0) != value($1) ? value($0) > value($1) : $0 < $1 }.prefix(count)
        let images = try best.map { probe in
            let file = probes.files[probes.probes[probe].photo]
            let photo = try RGBImage(contentsOf: file)
            let shown: RGBImage
            var name = file.lastPathComponent
            if let box = probes.probes[probe].crop {
                shown = try photo.cropped(x: box.x, y: box.y, width: box.side, height: box.side)
                name += ", crop \(box)"
            } else {
                shown = try preprocessing.preparedImage(from: photo)
            }
            return try ImageOutput(
                try shown.resized(width: 112, height: 112), caption: "\(name): \(String(format: "%+.1f", sigma(value(probe)))) σ",
                alt: "\(name), among the probes that excite channel \(channel) most")
        }
        let what = crops ? "probes (photos and crops)" : "photos"
        return rows(
            images,
            caption: caption
                + ": the \(images.count) of \(candidates.count) \(what) it responds to most (its activation in σ over all probes)")
    }

    /// `image` with a two-pixel yellow frame just inside `region`.
    static func outlined(_ image: RGBImage, _ region: PixelRegion) throws -> RGBImage {
        guard region.height > 0, region.width > 0 else { return image }
        var pixels = image.pixels
        let (bottom, right) = (region.top + region.height - 1, region.left + region.width - 1)
        for y in region.top...bottom {
            for x in region.left...right {
                let edge = Swift.min(y - region.top, bottom - y, x - region.left, right - x)
                guard edge < 2 else { continue }
                let i = (y * image.width + x) * 3
                pixels[i] = 255
                pixels[i + 1] = 214
                pixels[i + 2] = 0
            }
        }
        return try RGBImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// `patch` enlarged by the whole factor that brings its longer side nearest
    /// ``patchDisplaySide`` from below (at least 1), by nearest neighbour so pixels stay sharp.
    static func enlarged(_ patch: RGBImage) throws -> RGBImage {
        let factor = Swift.max(1, patchDisplaySide / Swift.max(patch.width, patch.height))
        guard factor > 1 else { return patch }
        let (width, height) = (patch.width * factor, patch.height * factor)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let from = ((y / factor) * patch.width + x / factor) * 3
                let to = (y * width + x) * 3
                pixels[to] = patch.pixels[from]
                pixels[to + 1] = patch.pixels[from + 1]
                pixels[to + 2] = patch.pixels[from + 2]
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }
}
