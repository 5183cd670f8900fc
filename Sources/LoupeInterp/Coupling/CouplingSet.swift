import Foundation
import LoupeModels
import LoupeTensor

/// Why a coupling set cannot be read.
public enum CouplingError: Error, CustomStringConvertible, Equatable, OriginatedError {
    /// The captions file is not valid COCO captions JSON.
    case invalidCaptions(file: String, reason: String)
    /// A caption names an image id the file does not list.
    case unknownImage(file: String, annotation: Int, imageID: Int)
    /// An image entry names a file that does not exist.
    case missingImageFile(file: String, imageID: Int, path: String)
    /// Fewer photos with captions than the fit needs.
    case tooFewPhotos(file: String, found: Int, needed: Int)
    /// An adaptor file that cannot be read or belongs to another model, layer or encoder.
    case invalidAdaptor(file: String, reason: String)

    /// The message shown to the user, naming the file and the entry.
    public var description: String {
        switch self {
        case let .invalidCaptions(file, reason): "\(file): not COCO captions JSON: \(reason)"
        case let .unknownImage(file, annotation, imageID):
            "\(file): caption \(annotation) refers to image \(imageID), which the file's \"images\" does not list"
        case let .missingImageFile(file, imageID, path): "\(file): image \(imageID) is \(path), which does not exist"
        case let .tooFewPhotos(file, found, needed):
            "\(file): \(found) photos have captions; coupling needs at least \(needed)"
        case let .invalidAdaptor(file, reason): "\(file): \(reason)"
        }
    }

    /// Always the user's input.
    public var origin: ErrorOrigin { .input }
}

/// Photos with sentences that describe them: the data an adaptor is fitted on.
///
/// Read from a COCO captions file (`{"images": [{"id", "file_name"}], "annotations":
/// [{"image_id", "caption"}]}`), with image files relative to the file's folder. Photos without
/// captions are left out and listed in ``uncaptioned``; a caption for an unknown image or an
/// image file that does not exist is an error naming the entry.
public struct CouplingSet: Sendable {
    /// The captions file.
    public let file: URL
    /// The photos with at least one caption, in the file's order.
    public let photos: [URL]
    /// Each photo's captions, in the file's order.
    public let captions: [[String]]
    /// Image entries without a caption (left out).
    public let uncaptioned: [String]
    /// SHA-256 of the captions file.
    public let sha256: String

    private struct COCO: Decodable {
        struct Image: Decodable {
            let id: Int
            let fileName: String
            enum CodingKeys: String, CodingKey {
                case id
                case fileName = "file_name"
            }
        }
        struct Annotation: Decodable {
            let id: Int?
            let imageID: Int
            let caption: String
            enum CodingKeys: String, CodingKey {
                case id, caption
                case imageID = "image_id"
            }
        }
        let images: [Image]
        let annotations: [Annotation]
    }

    /// Reads `file`.
    ///
    /// - Throws: ``CouplingError`` naming the file and the entry.
    public init(contentsOf file: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw CouplingError.invalidCaptions(file: file.path, reason: "it cannot be read (\(FileErrorReason.text(for: error)))")
        }
        let coco: COCO
        do {
            coco = try JSONDecoder().decode(COCO.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw CouplingError.invalidCaptions(file: file.path, reason: "\(path) is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw CouplingError.invalidCaptions(
                file: file.path, reason: "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw CouplingError.invalidCaptions(file: file.path, reason: "\(error)")
        }
        var byID: [Int: Int] = [:]
        for (index, image) in coco.images.enumerated() {
            guard byID[image.id] == nil else {
                throw CouplingError.invalidCaptions(file: file.path, reason: "image id \(image.id) appears twice")
            }
            byID[image.id] = index
        }
        var captions = [[String]](repeating: [], count: coco.images.count)
        for (index, annotation) in coco.annotations.enumerated() {
            guard let image = byID[annotation.imageID] else {
                throw CouplingError.unknownImage(file: file.path, annotation: annotation.id ?? index, imageID: annotation.imageID)
            }
            let text = annotation.caption.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else {
                throw CouplingError.invalidCaptions(file: file.path, reason: "caption \(annotation.id ?? index) is empty")
            }
            captions[image].append(text)
        }
        let folder = file.deletingLastPathComponent()
        var photos: [URL] = [], kept: [[String]] = [], uncaptioned: [String] = []
        for (index, image) in coco.images.enumerated() {
            guard !captions[index].isEmpty else {
                uncaptioned.append(image.fileName)
                continue
            }
            let url = image.fileName.hasPrefix("/") ? URL(fileURLWithPath: image.fileName) : folder.appendingPathComponent(image.fileName)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw CouplingError.missingImageFile(file: file.path, imageID: image.id, path: url.path)
            }
            photos.append(url)
            kept.append(captions[index])
        }
        self.file = file
        self.photos = photos
        self.captions = kept
        self.uncaptioned = uncaptioned
        sha256 = SHA256Digest.hex(of: data)
    }
}
