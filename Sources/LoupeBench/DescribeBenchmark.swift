import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels
import LoupeTensor

/// The whole describing pipeline, timed: every channel of several layers over a probe set,
/// described with a vocabulary by the adaptor and by SoftWPMI.
///
/// Stages: the layers' activations over the probes (one batched forward pass per batch, all
/// layers at once), the captions' and the vocabulary's sentence vectors, then per layer the
/// adaptor's fit (5-fold penalties, permutation null), each channel's best text through the
/// adaptor, and SoftWPMI of every channel against the vocabulary. Run cold (empty activation and
/// embedding caches in a fresh `LOUPE_HOME` folder) then warm (the caches filled).
public enum DescribeBenchmark {
    /// One pass's stage times in seconds.
    public struct Pass: Codable, Sendable {
        /// Activations of every layer over every probe.
        public var activations: Double
        /// Caption and vocabulary vectors.
        public var embeddings: Double
        /// Adaptor fits (all layers).
        public var fits: Double
        /// Adaptor descriptions (all channels).
        public var describe: Double
        /// SoftWPMI (all channels).
        public var dissect: Double
        /// The whole pass.
        public var total: Double
    }

    /// The run.
    public struct Result: Codable, Sendable {
        /// The model.
        public var model: String
        /// The layers and their channel counts.
        public var layers: [String]
        /// Channels per layer.
        public var channels: [Int]
        /// How many probes.
        public var probes: Int
        /// How many vocabulary texts.
        public var vocabulary: Int
        /// Permutation draws per channel.
        public var permutations: Int
        /// The first pass, with empty caches.
        public var cold: Pass
        /// The second pass, with the caches filled.
        public var warm: Pass
        /// Peak resident memory.
        public var peakRSSMiB: Double
        /// A checksum of the labels (equal between passes).
        public var labels: [String]
    }

    /// Runs the pipeline twice on `captions`' photos with `crops` crops each.
    ///
    /// - Throws: the models', captions' and encoder's errors.
    public static func run(
        model name: String, layers: [String], captions: URL, crops: Int, vocabulary: String, permutations: Int, home: URL,
        progress: (String) -> Void
    ) throws -> Result {
        let model = try ModelSource(name: name, architecture: nil, weights: nil).load(progress: progress)
        let set = try CouplingSet(contentsOf: captions)
        let probes = try ProbeSet(files: set.photos, cropsPerPhoto: crops, seed: 0)
        let corpus = try ConceptVocabulary.load(vocabulary, progress: progress).texts
        let embedder = try TextEmbedder(progress: progress)
        let scratch = home.appendingPathComponent("describe-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var settings = CouplingSettings()
        settings.permutations = permutations

        func pass() throws -> (Pass, [String], [Int]) {
            var clock = ProcessInfo.processInfo.systemUptime
            func lap() -> Double {
                let now = ProcessInfo.processInfo.systemUptime
                defer { clock = now }
                return now - clock
            }
            let activations = try ProbeActivations.compute(
                model: model, layers: layers, probes: probes, batchSize: 32, cache: ActivationCache(home: scratch))
            let tActivations = lap()
            let cache = EmbeddingCache(home: scratch)
            let texts = try CaptionAnnotator(set).textVectors(for: probes, embedder: embedder, cache: cache)
            let vectors = try embedder.embed(corpus, cache: cache).vectors
            let tEmbeddings = lap()
            let provenance = Adaptor.Provenance(
                model: name, modelFingerprint: "", layer: "", summary: .mean, encoder: embedder.name, encoderSHA256: embedder.sha256,
                annotator: "captions", probes: probes.fingerprint, probeCount: probes.probes.count, photoCount: probes.files.count,
                heldOutPhotos: 0, folds: settings.folds, permutations: permutations, seed: 0)
            var adaptors: [Adaptor] = []
            for layer in layers {
                guard let a = activations[layer] else { throw InterpError.internalError("no activations for \(layer)") }
                var p = provenance
                p.layer = layer
                adaptors.append(
                    try Adaptor.fit(
                        texts: texts, activations: a.means, channels: a.channels, photos: probes.photoOfProbe, provenance: p,
                        settings: settings))
            }
            let tFits = lap()
            var labels: [String] = []
            for adaptor in adaptors {
                let all = Array(adaptor.channels.indices)
                labels += try adaptor.describe(channels: all, corpus: corpus, vectors: vectors, top: 1).map { $0.labels.first?.text ?? "" }
            }
            let tDescribe = lap()
            // Every layer was fitted on the same probes and captions: one set of probabilities.
            let probabilities = try Dissection.ConceptProbabilities(probeVectors: texts, conceptVectors: vectors)
            for adaptor in adaptors {
                guard let evidence = adaptor.evidence else { continue }
                labels += try evidence.dissect(
                    channels: Array(adaptor.channels.indices), concepts: corpus, probabilities: probabilities, top: 1
                )
                .map { $0.concepts.first?.text ?? "" }
            }
            let tDissect = lap()
            let times = Pass(
                activations: tActivations, embeddings: tEmbeddings, fits: tFits, describe: tDescribe, dissect: tDissect,
                total: tActivations + tEmbeddings + tFits + tDescribe + tDissect)
            return (times, labels, layers.map { activations[$0]?.channels ?? 0 })
        }
        progress("cold pass (empty caches)")
        let (cold, labels, channels) = try pass()
        progress("warm pass")
        let (warm, again, _) = try pass()
        guard labels == again else { throw InterpError.internalError("the warm pass gave other labels than the cold one") }
        return Result(
            model: name, layers: layers, channels: channels, probes: probes.probes.count, vocabulary: corpus.count,
            permutations: permutations, cold: cold, warm: warm, peakRSSMiB: ModelBenchmark.peakResidentMiB(),
            labels: Array(labels.prefix(10)))
    }
}
