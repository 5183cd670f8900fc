import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels
import LoupeTensor

/// CLIP-Dissect's final-layer protocol on Loupe's own models: the explained model's logits are
/// the neurons, another (stronger) classifier annotates the probes, and a neuron is described
/// correctly when its label is its own class.
///
/// Two ways of describing are measured side by side: *dissection* (SoftWPMI between each
/// logit's activations and the annotator's class probabilities) and the *adaptor* (ridge from
/// the annotator's ConSE text vectors to the logits; the label is the class name, with its
/// gloss, that the adaptor predicts excites the neuron most). Only the classes the probe set
/// contains — those that are the annotator's top class on at least one probe — can be found, so
/// accuracy is reported over them, with that coverage. The baselines are computed on the same
/// neurons: a random label (expected accuracy 1/classes; the mean cosine of all label pairs) and
/// the one constant label with the best mean cosine.
public enum DissectionBenchmark {
    /// One method's figures over the covered neurons.
    public struct Method: Codable, Sendable {
        /// `soft-wpmi` or `adaptor`.
        public var name: String
        /// Labels equal to the neuron's own class, as a share of the covered neurons.
        public var top1: Double
        /// The mean MiniLM cosine between each label and the neuron's class name.
        public var meanCosine: Double
    }

    /// The whole run.
    public struct Result: Codable, Sendable {
        /// The explained model.
        public var model: String
        /// The annotating model.
        public var annotator: String
        /// How many probes.
        public var probes: Int
        /// How many photos the probes came from.
        public var photos: Int
        /// Classes that are the annotator's top class on at least one probe.
        public var covered: Int
        /// All classes (neurons).
        public var classes: Int
        /// The two methods.
        public var methods: [Method]
        /// A random label's expected top-1.
        public var randomTop1: Double
        /// A random label's expected mean cosine.
        public var randomCosine: Double
        /// The constant label with the best mean cosine.
        public var constantLabel: String
        /// The constant label's top-1.
        public var constantTop1: Double
        /// The constant label's mean cosine.
        public var constantCosine: Double
        /// How many adaptor channels are coupled.
        public var coupled: Int
        /// Seconds for the whole benchmark.
        public var seconds: Double
    }

    /// Runs the protocol on the photos of `folder` (with `crops` seeded crops each).
    ///
    /// - Parameters:
    ///   - name: The explained model, from the store.
    ///   - annotatorName: The annotating classifier, from the store.
    ///   - folder: The probe photos.
    ///   - crops: Seeded crops per photo.
    ///   - permutations: Draws of the adaptor's null.
    ///   - dump: When set, the matrices and Loupe's SoftWPMI scores are written there as float64
    ///     `.npy` (`probabilities`, `activations`, `soft_wpmi`) for `Scripts/parity/dissect.py`.
    ///   - progress: Called with a line for the user at each stage.
    /// - Returns: The figures.
    /// - Throws: the models', probes' and encoder's errors.
    public static func run(
        model name: String, annotator annotatorName: String, folder: URL, crops: Int, permutations: Int, dump: URL?,
        progress: (String) -> Void
    ) throws -> Result {
        let start = Date()
        let model = try ModelSource(name: name, architecture: nil, weights: nil).load(progress: progress)
        let other = try ModelSource(name: annotatorName, architecture: nil, weights: nil).load(progress: progress)
        let probes = try ProbeSet(folder: folder, cropsPerPhoto: crops, seed: 0)
        let vocabulary = try ConceptVocabulary.load("imagenet", progress: progress)
        let annotator = try ClassifierAnnotator(model: other, classes: vocabulary)
        let classes = model.labels.count
        let n = probes.probes.count

        progress("activations of \(name)'s logits over \(n) probes")
        let logits = try ProbeActivations.compute(model: model, layers: ["_fc"], probes: probes)["_fc"]
        guard let logits else { throw InterpError.internalError("no logits") }
        progress("\(annotatorName)'s probabilities")
        let probabilities = try annotator.probabilities(for: probes).map(Double.init)
        var present = Set<Int>()
        for probe in 0..<n {
            let row = probabilities[(probe * classes)..<((probe + 1) * classes)]
            if let best = row.indices.max(by: { row[$0] < row[$1] }) { present.insert(best - probe * classes) }
        }
        let covered = present.sorted()

        // Dissection.
        var settings = Dissection.Settings()
        settings.topK = min(settings.topK, max(1, n / 5))
        let activations = logits.means.map(Double.init)
        let scores = try Dissection.softWPMI(
            probabilities: probabilities, activations: activations, probes: n, concepts: classes, neurons: classes, settings: settings)
        let dissected = (0..<classes).map { neuron in
            let row = scores[(neuron * classes)..<((neuron + 1) * classes)]
            return (row.indices.max { row[$0] < row[$1] } ?? 0) - neuron * classes
        }

        // The adaptor, fitted on ConSE vectors, labelling with the glossed class names.
        let embedder = try TextEmbedder(progress: progress)
        var coupling = CouplingSettings()
        coupling.permutations = permutations
        let adaptor = try Adaptor.fit(
            model: model, layer: "_fc", probes: probes, annotator: annotator, embedder: embedder, settings: coupling, progress: progress)
        let glossed = try embedder.embed(vocabulary.concepts.map(\.sentence)).vectors
        let predicted = try adaptor.predict(glossed)  // [classes as texts][neurons]
        let adapted = (0..<classes).map { neuron in (0..<classes).max { predicted[$0][neuron] < predicted[$1][neuron] } ?? 0 }

        // Label quality by name: MiniLM cosines between class names (no glosses).
        let names = try embedder.embed(vocabulary.texts).vectors
        func cosine(_ a: Int, _ b: Int) -> Double { Double(zip(names[a], names[b]).reduce(0) { $0 + $1.0 * $1.1 }) }
        func method(_ name: String, _ labels: [Int]) -> Method {
            let hits = covered.filter { labels[$0] == $0 }.count
            let meanCosine = covered.map { cosine(labels[$0], $0) }.reduce(0, +) / Double(max(covered.count, 1))
            return Method(name: name, top1: Double(hits) / Double(max(covered.count, 1)), meanCosine: meanCosine)
        }
        var allPairs = 0.0
        for a in covered { allPairs += (0..<classes).map { cosine($0, a) }.reduce(0, +) / Double(classes) }
        let randomCosine = allPairs / Double(max(covered.count, 1))
        let constant =
            (0..<classes).max { a, b in
                covered.map { cosine(a, $0) }.reduce(0, +) < covered.map { cosine(b, $0) }.reduce(0, +)
            } ?? 0
        let constantCosine = covered.map { cosine(constant, $0) }.reduce(0, +) / Double(max(covered.count, 1))

        if let dump {
            try FileManager.default.createDirectory(at: dump, withIntermediateDirectories: true)
            let write = { (values: [Double], shape: [Int], file: String) in
                try NPY.encode(float64: values, shape: shape).write(to: dump.appendingPathComponent(file))
            }
            try write(probabilities, [n, classes], "probabilities.npy")
            try write(activations, [n, classes], "activations.npy")
            try write(scores, [classes, classes], "soft_wpmi.npy")
            try Data("{\"top_k\": \(settings.topK)}".utf8).write(to: dump.appendingPathComponent("settings.json"))
        }
        return Result(
            model: name, annotator: annotatorName, probes: n, photos: probes.files.count, covered: covered.count, classes: classes,
            methods: [method("soft-wpmi", dissected), method("adaptor", adapted)], randomTop1: 1 / Double(classes),
            randomCosine: randomCosine, constantLabel: vocabulary.texts[constant],
            constantTop1: covered.contains(constant) ? 1 / Double(max(covered.count, 1)) : 0, constantCosine: constantCosine,
            coupled: adaptor.coupled.count, seconds: Date().timeIntervalSince(start))
    }
}
