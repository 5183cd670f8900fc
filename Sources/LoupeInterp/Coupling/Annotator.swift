import Foundation
import LoupeModels
import LoupeTensor

/// What a probe means in words: one unit vector per probe in the text encoder's space.
///
/// Two annotators exist: ``CaptionAnnotator`` (the sentences people wrote for each photo) and
/// ``ClassifierAnnotator`` (another network's class probabilities, mapped into text space as
/// ConSE does). ``CLIPAnnotator`` reads probes in CLIP's own space instead, for dissection.
public protocol Annotator: Sendable {
    /// For reports and the adaptor's provenance: what the vectors come from.
    var description: String { get }
    /// One unit vector per probe of `probes`, in `embedder`'s space.
    ///
    /// - Throws: ``CouplingError`` when the probes do not match the annotator's data; the
    ///   embedder's and models' errors.
    func textVectors(for probes: ProbeSet, embedder: TextEmbedder) throws -> [[Float]]
}

/// The coupling set's captions: each photo's captions embedded and averaged (then scaled to unit
/// length); a crop has its photo's vector.
public struct CaptionAnnotator: Annotator {
    /// The photos and their captions.
    public let set: CouplingSet

    /// Annotates with `set`'s captions.
    public init(_ set: CouplingSet) { self.set = set }

    /// Names the captions file and its size.
    public var description: String {
        "captions of \(set.file.lastPathComponent) (\(set.captions.reduce(0) { $0 + $1.count }) for \(set.photos.count) photos)"
    }

    /// The vectors, photo by photo.
    ///
    /// - Throws: ``CouplingError/invalidCaptions(file:reason:)`` when a probe's photo has no
    ///   captions in the set.
    public func textVectors(for probes: ProbeSet, embedder: TextEmbedder) throws -> [[Float]] {
        try textVectors(for: probes, embedder: embedder, cache: EmbeddingCache())
    }

    /// The vectors, with the captions' embeddings kept in `cache` (`nil`: computed every time).
    ///
    /// - Throws: as ``textVectors(for:embedder:)``.
    public func textVectors(for probes: ProbeSet, embedder: TextEmbedder, cache: EmbeddingCache?) throws -> [[Float]] {
        let index = Dictionary(set.photos.enumerated().map { ($1.standardizedFileURL.path, $0) }, uniquingKeysWith: { a, _ in a })
        let all = set.captions.flatMap { $0 }
        let vectors = try embedder.embed(all, cache: cache).vectors
        var offsets: [Int] = [0]
        for captions in set.captions { offsets.append(offsets[offsets.count - 1] + captions.count) }
        let photoVectors = set.captions.indices.map { photo in
            unitMean(Array(vectors[offsets[photo]..<offsets[photo + 1]]))
        }
        return try probes.probes.map { probe in
            let path = probes.files[probe.photo].standardizedFileURL.path
            guard let photo = index[path] else {
                throw CouplingError.invalidCaptions(file: set.file.path, reason: "it has no captions for \(path)")
            }
            return photoVectors[photo]
        }
    }
}

/// Another, stronger classifier's reading of each probe, in words (ConSE).
///
/// As in Norouzi et al. (2014): the probability-weighted mean of the text vectors of its `top` most probable classes, each
/// embedded as its name with its WordNet gloss, scaled to unit length.
public struct ClassifierAnnotator: Annotator {
    /// The classifier (not the model being explained).
    public let model: Model
    /// How many of the most probable classes are mixed.
    public let top: Int
    /// Class names with glosses, one per output of `model` in order.
    public let classes: ConceptVocabulary

    /// Annotates with `model`'s probabilities over `classes`.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when `classes` does not have one concept per
    ///   output of the model or `top` is not 1…100.
    public init(model: Model, classes: ConceptVocabulary, top: Int = 10) throws {
        guard classes.concepts.count == model.labels.count else {
            throw InterpError.invalidParameter(
                "\(model.name) has \(model.labels.count) classes but the vocabulary \(classes.name) has \(classes.concepts.count)")
        }
        guard (1...100).contains(top) else { throw InterpError.invalidParameter("top must be 1…100, got \(top)") }
        self.model = model
        self.top = top
        self.classes = classes
    }

    /// Names the classifier and the mixing.
    public var description: String { "\(model.name)'s top-\(top) classes with glosses (ConSE)" }

    /// The softmax probabilities of `model` for every probe, `[probes × classes]`, cached like
    /// activations.
    ///
    /// - Throws: the model's and decoders' errors.
    public func probabilities(for probes: ProbeSet, cache: ActivationCache? = ActivationCache()) throws -> [Float] {
        let classes = model.labels.count
        let key =
            cache == nil
            ? ""
            : SHA256Digest.hex(
                of: Data("probabilities v1\n\(try ModelFingerprint.of(model))\n\(model.preprocessing)\n\(probes.fingerprint)".utf8))
        if let cache, let stored = cache.matrix(key), stored.rows == probes.probes.count, stored.columns == classes {
            return stored.values
        }
        var values: [Float] = []
        values.reserveCapacity(probes.probes.count * classes)
        try probes.forEachBatch(preprocessing: model.preprocessing, batchSize: 16) { _, input in
            let logits = try GradMode.withoutGrad { try model(input) }
            values += try logits.softmax(axis: 1).scalars
        }
        try cache?.store(key, rows: probes.probes.count, columns: classes, values: values)
        return values
    }

    /// The ConSE vectors.
    public func textVectors(for probes: ProbeSet, embedder: TextEmbedder) throws -> [[Float]] {
        let classVectors = try embedder.embed(classes.concepts.map(\.sentence)).vectors
        let probabilities = try probabilities(for: probes)
        let count = classes.concepts.count
        return (0..<probes.probes.count).map { probe in
            let row = probabilities[(probe * count)..<((probe + 1) * count)]
            let best = row.indices.sorted { row[$0] > row[$1] }.prefix(top)
            var mixed = [Float](repeating: 0, count: embedder.dimension)
            for index in best {
                let weight = row[index]
                for (d, value) in classVectors[index - probe * count].enumerated() { mixed[d] += weight * value }
            }
            return unitLength(mixed)
        }
    }
}

/// The mean of `vectors`, scaled to unit length.
func unitMean(_ vectors: [[Float]]) -> [Float] {
    guard let first = vectors.first else { return [] }
    var sum = [Float](repeating: 0, count: first.count)
    for vector in vectors {
        for (d, value) in vector.enumerated() { sum[d] += value }
    }
    return unitLength(sum)
}

/// `vector` scaled to length 1 (unchanged when it is zero).
func unitLength(_ vector: [Float]) -> [Float] {
    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? vector.map { $0 / norm } : vector
}
