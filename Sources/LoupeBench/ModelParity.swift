import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// Compares Loupe's models with the PyTorch references that `Scripts/parity/models.py references`
/// writes: logits within 1e-3 of the largest logit, identical top-5, and the input gradient of the
/// top logit with cosine similarity ≥ 0.999, for every checkpoint format and photo; plus Loupe's
/// own preprocessing of each photo against torchvision's.
public enum ModelParity {
    struct Manifest: Decodable {
        struct Case: Decodable {
            let name: String
            let arch: String
            let checkpoints: [String]
            let images: [Image]
        }
        struct Image: Decodable {
            let photo: String
            let input: String
            let logits: String
            let grad: String
            let top5: [Int]
        }
        let torch: String
        let cases: [Case]
    }

    /// One comparison's outcome.
    public struct Row: Sendable {
        /// The case's model name, from the manifest.
        public let model: String
        /// The checkpoint's file name.
        public let checkpoint: String
        /// The photo's file name.
        public let photo: String
        /// The largest logit difference, relative to the largest reference logit.
        public let logitError: Float
        /// Whether the top five classes are PyTorch's, in order.
        public let top5Equal: Bool
        /// Cosine similarity between the input gradients of the top logit, Loupe's and PyTorch's.
        public let gradientCosine: Float
        /// Mean absolute difference between Loupe's preprocessing of the photo and torchvision's, in normalised units.
        public let preprocessingError: Float
        /// Whether the top five on Loupe's own preprocessing are PyTorch's.
        public let ownTop5Equal: Bool

        /// Logits within 1e-3, the same top five and gradient cosine ≥ 0.999 (preprocessing is reported, not judged).
        public var passed: Bool { logitError <= 1e-3 && top5Equal && gradientCosine >= 0.999 }
    }

    /// Compares every checkpoint and photo of the manifest in `directory` with its PyTorch reference.
    ///
    /// - Parameters:
    ///   - directory: The folder `Scripts/parity/models.py references` wrote: `manifest.json`
    ///     and the little-endian Float32 files it names.
    ///   - report: Called with each row as soon as it is computed.
    /// - Returns: Every row, in the manifest's order.
    /// - Throws: The errors of reading the files and loading the models.
    public static func run(directory: URL, report: (Row) -> Void) throws -> [Row] {
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
        var rows: [Row] = []
        for c in manifest.cases {
            let architecture = try Architecture(named: c.arch)
            for checkpoint in c.checkpoints {
                let url = checkpoint.hasPrefix("/") ? URL(fileURLWithPath: checkpoint) : directory.appendingPathComponent(checkpoint)
                let model = try Model(architecture: architecture, weights: url, name: c.name)
                for image in c.images {
                    let reference = try floats(directory.appendingPathComponent(image.input))
                    let input = try Tensor(shape: [1, 3, model.preprocessing.size, model.preprocessing.size], scalars: reference)
                        .requiringGrad()
                    let logits = try model(input)
                    let expected = try floats(directory.appendingPathComponent(image.logits))
                    let actual = try logits.scalars
                    let scale = expected.map(abs).max() ?? 1
                    let logitError = zip(actual, expected).map { abs($0 - $1) }.max().map { $0 / max(scale, 1e-6) } ?? 1
                    let top5 = try logits.detached().topK(5).indices
                    let topIndex = top5[0]
                    let gradient = try grad(of: logits[0][topIndex], wrt: [input])[0].scalars
                    let cosine = cosineSimilarity(gradient, try floats(directory.appendingPathComponent(image.grad)))
                    // Loupe's own image pipeline on the same photo.
                    let own = try model.preprocessing.tensor(from: RGBImage(contentsOf: URL(fileURLWithPath: image.photo)))
                    let ownValues = try own.scalars
                    let preprocessingError = zip(ownValues, reference).map { abs($0 - $1) }.reduce(0, +) / Float(max(reference.count, 1))
                    let ownTop5 = try GradMode.withoutGrad { try model(own).topK(5).indices }
                    let row = Row(
                        model: c.name, checkpoint: (checkpoint as NSString).lastPathComponent,
                        photo: (image.photo as NSString).lastPathComponent,
                        logitError: logitError, top5Equal: top5 == image.top5, gradientCosine: cosine,
                        preprocessingError: preprocessingError, ownTop5Equal: ownTop5 == image.top5)
                    report(row)
                    rows.append(row)
                }
            }
        }
        return rows
    }

    static func floats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    static func cosineSimilarity(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count, !a.isEmpty else { return 0 }
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return Float(dot / max((na * nb).squareRoot(), 1e-30))
    }
}
