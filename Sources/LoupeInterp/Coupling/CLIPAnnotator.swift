import Foundation
import LoupeModels
import LoupeTensor
import LoupeText

/// CLIP as the annotator of CLIP-Dissect (Oikarinen & Weng, 2023): what each probe shows, read
/// from CLIP's image tower, against concepts read by its text tower.
///
/// Each probe (a photo, or a crop of one) is embedded as CLIP preprocesses it; each concept is
/// embedded as written, or in a frame such as `a photo of {}`. The softmax of the image–concept
/// cosines × ``Dissection/Settings/temperature`` is the probe's probability for every concept,
/// the matrix ``Dissection/softWPMI(_:activations:neurons:settings:)`` compares with a layer's
/// activations over the same probes. Unlike the caption annotator it needs no words about the
/// photos: any folder of images will do.
public struct CLIPAnnotator: Sendable {
    /// The model.
    public let model: CLIPModel
    /// Its tokenizer, at the model's context length.
    public let tokenizer: CLIPTokenizer

    /// Annotates with `model`.
    ///
    /// - Parameters:
    ///   - model: The CLIP model.
    ///   - tokenizer: Its tokenizer.
    public init(model: CLIPModel, tokenizer: CLIPTokenizer) {
        self.model = model
        self.tokenizer = tokenizer
    }

    /// One unit image vector per probe, as CLIP sees the probe (whole photos fitted by CLIP's
    /// preprocessing, crops resized to its input).
    ///
    /// - Parameters:
    ///   - probes: The probes.
    ///   - batchSize: Probes per forward pass.
    ///   - progress: Called with the probes done and the total after each batch.
    /// - Returns: `probes.probes.count` vectors of the model's embedding width.
    /// - Throws: The decoders' errors (a photo changed since the set was made), the model's.
    public func imageVectors(for probes: ProbeSet, batchSize: Int = 16, progress: (Int, Int) -> Void = { _, _ in }) throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(probes.probes.count)
        try probes.forEachBatch(preprocessing: model.preprocessing, batchSize: batchSize) { indices, input in
            let embedded = try GradMode.withoutGrad { try model.imageEmbeddings(input, normalized: true) }
            let width = embedded.shape[1], values = try embedded.scalars
            for row in 0..<indices.count { vectors.append(Array(values[(row * width)..<((row + 1) * width)])) }
            progress(indices.upperBound, probes.probes.count)
        }
        return vectors
    }

    /// One unit text vector per concept, and the concepts cut to the model's context.
    ///
    /// Each concept is framed by `template` when one is given. A concept that repeats
    /// (ImageNet has two cranes) is embedded once and gets the same vector each time.
    ///
    /// - Parameters:
    ///   - concepts: The concepts.
    ///   - template: The frame, or `nil` for the concepts as written (as CLIP-Dissect does).
    /// - Returns: The vectors in the concepts' order, and the truncated texts.
    /// - Throws: ``LoupeModels/ModelError/invalidSource(_:)`` for no concepts; the model's errors.
    public func conceptVectors(_ concepts: [String], template: PromptTemplate? = nil) throws -> (vectors: [[Float]], truncated: [String]) {
        var index: [String: Int] = [:]
        var distinct: [String] = []
        let position = concepts.map { concept in
            if let known = index[concept] { return known }
            index[concept] = distinct.count
            distinct.append(concept)
            return distinct.count - 1
        }
        let frame = try template ?? PromptTemplate("{}")
        let classifier = try ZeroShotClassifier(model: model, tokenizer: tokenizer, labels: distinct, templates: [frame])
        let width = classifier.classEmbeddings.shape[1], values = try classifier.classEmbeddings.scalars
        return (position.map { Array(values[($0 * width)..<(($0 + 1) * width)]) }, classifier.truncatedPrompts)
    }
}
