import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// A square region of a photo, in the photo's pixels.
public struct CropBox: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The left edge.
    public let x: Int
    /// The top edge.
    public let y: Int
    /// The side of the square.
    public let side: Int

    /// For captions: `x, y, side` in pixels.
    public var description: String { "\(side)×\(side) at (\(x), \(y))" }
}

/// One image a layer is probed with: a whole photo, or a seeded crop of one.
public struct Probe: Sendable, Hashable {
    /// The index of the photo in ``ProbeSet/files``.
    public let photo: Int
    /// The crop, or `nil` for the whole photo (fitted by the model's own preprocessing).
    public let crop: CropBox?
}

/// The images a layer is probed with: the photos of a folder or a coupling set, each followed by
/// `cropsPerPhoto` seeded square crops whose side is a fraction of the photo's shorter side.
///
/// Middle layers see small receptive fields, so crops multiply a few dozen photos into the
/// thousands of probes their channels need. Every photo has the same number of probes, in the
/// same order, which the adaptor's permutation test relies on. The ``fingerprint`` covers the
/// photos' bytes and the crops, so cached activations follow the data, not the file names.
public struct ProbeSet: Sendable {
    /// The photos that decoded, in order.
    public let files: [URL]
    /// Files left out because they do not decode.
    public let skipped: [SkippedFile]
    /// Crops taken from each photo after the photo itself.
    public let cropsPerPhoto: Int
    /// The probes, photo by photo: the whole photo, then its crops.
    public let probes: [Probe]
    /// SHA-256 over the photos' SHA-256s and the crops.
    public let fingerprint: String

    /// The smallest and largest crop side, as fractions of the photo's shorter side.
    public static let cropScales: ClosedRange<Double> = 0.25...0.6

    /// The probes for `files`: each file that decodes, then `cropsPerPhoto` crops of it drawn
    /// from `seed`.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for a negative crop count;
    ///   ``DatasetError/noImages(path:)`` for an empty list;
    ///   ``DatasetError/noReadableImages(skipped:)`` when no file decodes.
    public init(files: [URL], cropsPerPhoto: Int = 0, seed: UInt64 = 0) throws {
        guard (0...256).contains(cropsPerPhoto) else {
            throw InterpError.invalidParameter("crops per photo must be 0…256, got \(cropsPerPhoto)")
        }
        guard !files.isEmpty else { throw DatasetError.noImages(path: "the list of photos") }
        var readable: [URL] = [], skipped: [SkippedFile] = [], probes: [Probe] = []
        var digest = "probes v1 crops \(cropsPerPhoto) seed \(seed)\n"
        var rng = SplitMix64(seed: seed)
        for file in files {
            let image: RGBImage
            let data: Data
            do {
                data = try Data(contentsOf: file)
                image = try RGBImage(data: data, name: file.path)
            } catch {
                var reason = String(describing: error)
                if reason.hasPrefix(file.path + ": ") { reason.removeFirst(file.path.count + 2) }
                skipped.append(SkippedFile(file: file, reason: reason))
                continue
            }
            let photo = readable.count
            readable.append(file)
            probes.append(Probe(photo: photo, crop: nil))
            let shorter = min(image.width, image.height)
            for _ in 0..<cropsPerPhoto {
                let scale = Double.random(in: Self.cropScales, using: &rng)
                let side = max(16, min(shorter, Int((scale * Double(shorter)).rounded())))
                let x = Int.random(in: 0...(image.width - side), using: &rng)
                let y = Int.random(in: 0...(image.height - side), using: &rng)
                probes.append(Probe(photo: photo, crop: CropBox(x: x, y: y, side: side)))
            }
            digest += SHA256Digest.hex(of: data) + "\n"
        }
        guard !readable.isEmpty else { throw DatasetError.noReadableImages(skipped: skipped) }
        digest += probes.map { $0.crop.map { "\($0.x),\($0.y),\($0.side)" } ?? "-" }.joined(separator: ";")
        self.files = readable
        self.skipped = skipped
        self.cropsPerPhoto = cropsPerPhoto
        self.probes = probes
        fingerprint = SHA256Digest.hex(of: Data(digest.utf8))
    }

    /// The probes of the JPEG and PNG files of `folder` (``DatasetExamples/imageFiles(in:)``).
    ///
    /// - Throws: the folder errors of ``DatasetExamples/imageFiles(in:)``; those of
    ///   ``init(files:cropsPerPhoto:seed:)``.
    public init(folder: URL, cropsPerPhoto: Int = 0, seed: UInt64 = 0) throws {
        try self.init(files: try DatasetExamples.imageFiles(in: folder), cropsPerPhoto: cropsPerPhoto, seed: seed)
    }

    /// How many probes each photo has.
    public var probesPerPhoto: Int { 1 + cropsPerPhoto }

    /// The photo index of every probe.
    public var photoOfProbe: [Int] { probes.map(\.photo) }

    /// Runs `body` on consecutive batches of at most `batchSize` probes.
    ///
    /// Each batch comes as the indices of its probes and the `[N, 3, size, size]` input `preprocessing` makes of them (whole photos
    /// fitted as the model fits them, crops resized to the input exactly). Each photo is decoded
    /// once.
    ///
    /// - Throws: the decoder's errors (a file changed since the set was made); `body`'s errors.
    public func forEachBatch(
        preprocessing: Preprocessing, batchSize: Int, _ body: (_ indices: Range<Int>, _ input: Tensor) throws -> Void
    ) throws {
        var decoded: (photo: Int, image: RGBImage)?
        var start = 0
        while start < probes.count {
            let end = min(start + max(1, batchSize), probes.count)
            var inputs: [Tensor] = []
            for probe in probes[start..<end] {
                if decoded?.photo != probe.photo {
                    decoded = (probe.photo, try RGBImage(contentsOf: files[probe.photo]))
                }
                guard let image = decoded?.image else { continue }
                inputs.append(try Self.input(image, crop: probe.crop, preprocessing: preprocessing))
            }
            try body(start..<end, try Tensor.concatenate(inputs, axis: 0))
            start = end
        }
    }

    /// The model input for one probe of `image`.
    static func input(_ image: RGBImage, crop: CropBox?, preprocessing: Preprocessing) throws -> Tensor {
        guard let crop else { return try preprocessing.input(from: image, fit: .crop).tensor }
        let region = try image.cropped(x: crop.x, y: crop.y, width: crop.side, height: crop.side)
        return try preprocessing.input(from: region, fit: .exact).tensor
    }
}
