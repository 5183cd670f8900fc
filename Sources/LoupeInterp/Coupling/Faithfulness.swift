import Foundation
import LoupeTensor

/// How faithful a layer's word labels are, measured on the photos the fit held out.
///
/// *Simulation* (after Linear Explanations): a channel's label, chosen without the held-out
/// photos, predicts the channel's activation on each held-out probe as the cosine between the
/// probe's words and the label; the score is Pearson's r, averaged over channels, next to the
/// same with each channel given another channel's label. *Ranking*: whether the label ranks the
/// held-out probes by the channel's activation (AUC of "above the channel's median") better than
/// random texts of the corpus do.
public struct Faithfulness: Sendable {
    /// One labelling method's figures.
    public struct Method: Sendable, Codable {
        /// `adaptor` or `soft-wpmi`.
        public let name: String
        /// Mean held-out simulation r over the live channels.
        public let simulation: Double
        /// The same with labels shuffled among channels.
        public let shuffledSimulation: Double
        /// Mean held-out simulation r over the coupled channels.
        public let coupledSimulation: Double
        /// Mean AUC of the label over the coupled channels.
        public let auc: Double
        /// Mean AUC of random corpus texts over the same channels.
        public let randomAUC: Double
        /// The share of coupled channels whose label's AUC beats the 95th percentile of random texts'.
        public let beatsRandom: Double
    }

    /// The adaptor's labels and SoftWPMI's, both chosen on training photos only.
    public let methods: [Method]
    /// How many live and coupled channels were measured.
    public let channels: Int
    /// How many coupled channels.
    public let coupled: Int
    /// How many held-out probes.
    public let heldOutProbes: Int
}

extension Adaptor {
    /// Measures ``Faithfulness`` of the adaptor's and SoftWPMI's top-1 labels from `corpus`.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` without fitting data or with a corpus of
    ///   another dimension.
    public func faithfulness(corpus: [String], vectors: [[Float]], randomTexts: Int = 100, seed: UInt64 = 0) throws -> Faithfulness {
        guard let evidence else { throw InterpError.invalidParameter("measuring faithfulness needs the adaptor's fitting data") }
        guard corpus.count == vectors.count, corpus.count >= 2, vectors.allSatisfy({ $0.count == textMean.count }) else {
            throw InterpError.invalidParameter("measuring faithfulness needs a corpus with vectors of the adaptor's dimension")
        }
        let m = evidence.channels, n = evidence.textVectors.count
        let heldOut = evidence.heldOutProbes
        let heldOutSet = Set(heldOut)
        let training = (0..<n).filter { !heldOutSet.contains($0) }
        let live = channels.filter { !$0.dead }.map(\.channel)
        let coupledSet = Set(coupled.map(\.channel))

        // Each probe's cosine with each corpus text, on the held-out probes.
        let cosines = Matrix.product(Matrix(heldOut.map { evidence.textVectors[$0] }), transposed: false, Matrix(vectors), transposed: true)
        func activation(_ channel: Int) -> [Double] { heldOut.map { Double(evidence.activations[$0 * m + channel]) } }
        func simulate(_ channel: Int, _ text: Int) -> Double {
            pearson((0..<heldOut.count).map { cosines[$0, text] }, activation(channel))
        }
        func auc(_ channel: Int, _ text: Int) -> Double {
            let a = activation(channel)
            let median = a.sorted()[a.count / 2]
            let scores = (0..<heldOut.count).map { cosines[$0, text] }
            let positives = a.indices.filter { a[$0] > median }.map { scores[$0] }
            let negatives = a.indices.filter { a[$0] <= median }.map { scores[$0] }
            return RankCorrelation.auc(positives: positives, negatives: negatives) ?? 0.5
        }

        // Labels chosen without the held-out photos.
        let predicted = evidence.trainingPredictions(vectors)
        let adaptorLabels = (0..<m).map { channel in (0..<corpus.count).max { predicted[$0, channel] < predicted[$1, channel] } ?? 0 }
        var settings = Dissection.Settings()
        settings.topK = min(settings.topK, max(1, training.count / 5))
        let scores = try Dissection.softWPMI(
            Dissection.ConceptProbabilities(probeVectors: training.map { evidence.textVectors[$0] }, conceptVectors: vectors),
            activations: training.flatMap { row in evidence.activations[(row * m)..<((row + 1) * m)].map(Double.init) },
            neurons: m, settings: settings)
        let dissectionLabels = (0..<m).map { channel in
            (0..<corpus.count).max { scores[channel * corpus.count + $0] < scores[channel * corpus.count + $1] } ?? 0
        }

        var rng = SplitMix64(seed: seed)
        let random = (0..<randomTexts).map { _ in Int.random(in: 0..<corpus.count, using: &rng) }
        func method(_ name: String, _ labels: [Int]) -> Faithfulness.Method {
            let shuffled = live.shuffled(using: &rng)
            let simulation = live.map { simulate($0, labels[$0]) }
            let shuffledSimulation = zip(live, shuffled).map { simulate($0, labels[$1]) }
            let coupledChannels = live.filter { coupledSet.contains($0) }
            var aucs: [Double] = [], randomMeans: [Double] = [], beats = 0
            for channel in coupledChannels {
                let own = auc(channel, labels[channel])
                let others = random.map { auc(channel, $0) }.sorted()
                aucs.append(own)
                randomMeans.append(others.reduce(0, +) / Double(others.count))
                if own > others[min(others.count - 1, Int(0.95 * Double(others.count)))] { beats += 1 }
            }
            let mean = { (values: [Double]) in values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
            return Faithfulness.Method(
                name: name, simulation: mean(simulation), shuffledSimulation: mean(shuffledSimulation),
                coupledSimulation: mean(coupledChannels.map { simulate($0, labels[$0]) }), auc: mean(aucs), randomAUC: mean(randomMeans),
                beatsRandom: coupledChannels.isEmpty ? 0 : Double(beats) / Double(coupledChannels.count))
        }
        return Faithfulness(
            methods: [method("adaptor", adaptorLabels), method("soft-wpmi", dissectionLabels)], channels: live.count,
            coupled: coupledSet.count, heldOutProbes: heldOut.count)
    }
}
