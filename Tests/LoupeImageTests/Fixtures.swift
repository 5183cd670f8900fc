import Foundation
import LoupeImage
import Testing

/// Loading the fixtures that `Scripts/parity/images.py` writes, and comparing pixels.
enum Fixtures {
    /// The URL of `Fixtures/<relativePath>` in the test bundle.
    static func url(_ relativePath: String) throws -> URL {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw FixtureMissing(name: "Fixtures")
        }
        let url = root.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw FixtureMissing(name: relativePath) }
        return url
    }

    /// The bytes of `Fixtures/<relativePath>`.
    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    /// `Fixtures/<name>` decoded as JSON.
    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: data(name))
    }

    /// The repository's root directory (for the photos in `Notebooks/images`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The cases of `decode.json`, read once.
    static let decodeCases: [DecodeCase] = (try? load("decode.json", as: DecodeFile.self).cases) ?? []
}

struct FixtureMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "fixture \(name) not found; run Scripts/parity/images.py" }
}

/// One image of `decode.json`: a file and the RGB pixels PIL decodes from it.
struct DecodeCase: Decodable, Sendable, CustomTestStringConvertible {
    let file: String
    let note: String
    let width: Int
    let height: Int
    let pixels: [UInt8]
    var testDescription: String { file }
}

struct DecodeFile: Decodable {
    let cases: [DecodeCase]
}

/// A torchvision transform step as the parity script records it.
struct PipelineStep: Decodable, Sendable {
    let op: String
    let size: StepSize
    /// `Resize`'s filter; absent means bilinear, torchvision's default.
    let interpolation: Interpolation?

    enum StepSize: Decodable, Sendable {
        case shorterSide(Int)
        case heightWidth(Int, Int)

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let side = try? container.decode(Int.self) {
                self = .shorterSide(side)
            } else {
                let pair = try container.decode([Int].self)
                guard pair.count == 2 else {
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "size \(pair) is not [height, width]")
                }
                self = .heightWidth(pair[0], pair[1])
            }
        }
    }

    /// Applies the step as torchvision would.
    func apply(to image: RGBImage) throws -> RGBImage {
        switch (op, size) {
        case let ("resize", .shorterSide(side)): return try image.resized(shorterSide: side, filter: interpolation ?? .bilinear)
        case let ("resize", .heightWidth(h, w)): return try image.resized(width: w, height: h, filter: interpolation ?? .bilinear)
        case let ("center_crop", .heightWidth(h, w)): return try image.centerCropped(width: w, height: h)
        default: throw FixtureMissing(name: "transform \(op)")
        }
    }
}

extension Array where Element == PipelineStep {
    /// Applies every step in order.
    func apply(to image: RGBImage) throws -> RGBImage {
        try reduce(image) { try $1.apply(to: $0) }
    }
}

/// How far two byte arrays are apart, in 0…1 units (one level is 1/255).
struct PixelDifference: CustomStringConvertible {
    let mean: Double
    let max: Double
    let differing: Int

    init(_ actual: [UInt8], _ expected: [UInt8]) {
        var total = 0, largest = 0, differing = 0
        for (a, e) in zip(actual, expected) {
            let d = abs(Int(a) - Int(e))
            total += d
            largest = Swift.max(largest, d)
            if d != 0 { differing += 1 }
        }
        mean = Double(total) / Double(Swift.max(expected.count, 1)) / 255
        max = Double(largest) / 255
        self.differing = differing
    }

    var description: String {
        String(format: "mean %.6f (%.4f levels), max %.6f (%.0f levels), %d bytes differ", mean, mean * 255, max, max * 255, differing)
    }
}
