import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels
import LoupeTensor

/// Do the words Loupe prints for a layer's channels mean anything? Planted channels whose
/// meaning is known, and the held-out faithfulness of both labelling methods (``Faithfulness``).
///
/// Planted channels are appended to the real layer's activations before fitting: three colour
/// detectors computed from the probes' pixels (the mean of `max(0, R − (G+B)/2)` and its green
/// and blue counterparts, in the model's normalised input), and two concept detectors (1 when the
/// photo's captions mention *bird* or *tree*). Each should be described by its word.
public enum FaithfulnessBenchmark {
    /// One planted channel's recovery.
    public struct Planted: Codable, Sendable {
        /// The word it should be described by.
        public var word: String
        /// Held-out r.
        public var heldOutR: Double
        /// The null's 95th percentile.
        public var nullP95: Double
        /// The adaptor's best three texts.
        public var adaptorTop: [String]
        /// The expected word's rank among the adaptor's texts (1 = best).
        public var adaptorRank: Int
        /// SoftWPMI's best three texts.
        public var dissectionTop: [String]
        /// The expected word's rank under SoftWPMI.
        public var dissectionRank: Int
    }

    /// The whole run.
    public struct Result: Codable, Sendable {
        /// The model.
        public var model: String
        /// The layer.
        public var layer: String
        /// How many probes.
        public var probes: Int
        /// How many photos.
        public var photos: Int
        /// How many candidate labels.
        public var corpus: Int
        /// Planted channels.
        public var planted: [Planted]
        /// The real layer's coupled channels.
        public var coupled: Int
        /// The real layer's live channels.
        public var channels: Int
        /// Held-out faithfulness of the two methods on the real channels.
        public var methods: [Faithfulness.Method]
        /// Seconds for the whole benchmark.
        public var seconds: Double
    }

    /// Runs the benchmark on a captions file's photos.
    ///
    /// - Throws: the models', probes', captions' and encoder's errors.
    public static func run(
        model name: String, layer: String, captions: URL, crops: Int, vocabulary: String, permutations: Int,
        progress: (String) -> Void
    ) throws -> Result {
        let start = Date()
        let model = try ModelSource(name: name, architecture: nil, weights: nil).load(progress: progress)
        let set = try CouplingSet(contentsOf: captions)
        let probes = try ProbeSet(files: set.photos, cropsPerPhoto: crops, seed: 0)
        let embedder = try TextEmbedder(progress: progress)
        let annotator = CaptionAnnotator(set)
        let texts = try annotator.textVectors(for: probes, embedder: embedder)
        guard let real = try ProbeActivations.compute(model: model, layers: [layer], probes: probes)[layer] else {
            throw InterpError.internalError("no activations for \(layer)")
        }
        let words = ["red", "green", "blue", "bird", "tree"]
        var planted = [[Float]](repeating: [], count: probes.probes.count)
        try probes.forEachBatch(preprocessing: model.preprocessing, batchSize: 32) { indices, input in
            let values = try input.scalars
            let plane = input.shape[2] * input.shape[3]
            for (k, probe) in indices.enumerated() {
                let base = k * 3 * plane
                var colour = [Float](repeating: 0, count: 3)
                for i in 0..<plane {
                    let (r, g, b) = (values[base + i], values[base + plane + i], values[base + 2 * plane + i])
                    colour[0] += max(0, r - (g + b) / 2)
                    colour[1] += max(0, g - (r + b) / 2)
                    colour[2] += max(0, b - (r + g) / 2)
                }
                planted[probe] = colour.map { $0 / Float(plane) }
            }
        }
        for (probe, p) in probes.probes.enumerated() {
            let said = set.captions[p.photo].joined(separator: " ").lowercased()
            for word in ["bird", "tree"] {
                let mentioned = said.split { !$0.isLetter }.contains { $0 == word || $0 == word + "s" }
                planted[probe].append(mentioned ? 1 : 0)
            }
        }
        let m = real.channels
        var joined = [Float]()
        for probe in 0..<probes.probes.count {
            joined += real.means[(probe * m)..<((probe + 1) * m)]
            joined += planted[probe]
        }
        var settings = CouplingSettings()
        settings.permutations = permutations
        let provenance = Adaptor.Provenance(
            model: name, modelFingerprint: "", layer: layer, summary: .mean, encoder: embedder.name, encoderSHA256: embedder.sha256,
            annotator: annotator.description, probes: probes.fingerprint, probeCount: probes.probes.count, photoCount: probes.files.count,
            heldOutPhotos: 0, folds: settings.folds, permutations: permutations, seed: 0)
        progress("fitting \(m) channels and \(words.count) planted ones")
        let withPlanted = try Adaptor.fit(
            texts: texts, activations: joined, channels: m + words.count, photos: probes.photoOfProbe, provenance: provenance,
            settings: settings)
        let corpus = try ConceptVocabulary.load(vocabulary, progress: progress).texts
        let vectors = try embedder.embed(corpus).vectors
        let plantedChannels = Array(m..<(m + words.count))
        let described = try withPlanted.describe(channels: plantedChannels, corpus: corpus, vectors: vectors, top: corpus.count)
        guard let evidence = withPlanted.evidence else { throw InterpError.internalError("no fitting data") }
        let dissected = try evidence.dissect(channels: plantedChannels, concepts: corpus, vectors: vectors, top: corpus.count)
        let plantedResults = words.enumerated().map { k, word in
            let adaptorOrder = described[k].labels.map(\.text)
            let dissectionOrder = dissected[k].concepts.map(\.text)
            let c = withPlanted.channels[m + k]
            return Planted(
                word: word, heldOutR: c.heldOutR, nullP95: c.nullP95, adaptorTop: Array(adaptorOrder.prefix(3)),
                adaptorRank: (adaptorOrder.firstIndex(of: word) ?? corpus.count) + 1, dissectionTop: Array(dissectionOrder.prefix(3)),
                dissectionRank: (dissectionOrder.firstIndex(of: word) ?? corpus.count) + 1)
        }

        progress("fitting the layer alone and measuring held-out faithfulness")
        let alone = try Adaptor.fit(
            texts: texts, activations: real.means, channels: m, photos: probes.photoOfProbe, provenance: provenance, settings: settings)
        let faithfulness = try alone.faithfulness(corpus: corpus, vectors: vectors)
        return Result(
            model: name, layer: layer, probes: probes.probes.count, photos: probes.files.count, corpus: corpus.count,
            planted: plantedResults,
            coupled: faithfulness.coupled, channels: faithfulness.channels, methods: faithfulness.methods,
            seconds: Date().timeIntervalSince(start))
    }
}
