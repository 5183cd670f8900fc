import Dispatch
import Foundation
import LoupeTensor

/// CLIP-Dissect's similarity between neurons and concepts (Oikarinen & Weng, 2023), on any
/// annotator's concept probabilities.
///
/// For each neuron, its `topK` most activating probes stand for the event "the neuron fires".
/// `log P(concept | neuron)` treats each of those probes as containing the concept with its
/// annotator probability, softened by a weight that falls linearly from `pStart` (the best
/// probe) towards `pEnd`: `Σₖ log(1 + wₖ (P(concept | probeₖ) − 1) + ε)`. `log P(concept)` is the
/// same quantity averaged over every neuron of the layer (log-sum-exp minus log count), and the
/// score is their difference with weight `lambda` — pointwise mutual information against the
/// layer's other neurons. The label is the concept with the largest score.
public enum Dissection {
    /// The parameters of the published method (its defaults).
    public struct Settings: Sendable, Hashable {
        /// Probes per neuron (the reference uses 100).
        public var topK = 100
        /// The weight of `log P(concept)`.
        public var lambda = 1.0
        /// The best probe's weight.
        public var pStart = 0.998
        /// The weight the linear fall would reach at probe `topK`.
        public var pEnd = 0.97
        /// Added inside the logarithm.
        public var minProbability = 1e-7
        /// The softmax temperature turning cosines into probabilities (`a` in the reference).
        public var temperature = 10.0

        /// The reference's defaults.
        public init() {}
    }

    /// `P(concept | probe)`: each row of cosines `[probes × concepts]` through a softmax of
    /// `temperature × cosine`, as CLIP-Dissect does with CLIP's image–text cosines.
    public static func probabilities(cosines: [Double], concepts: Int, temperature: Double) -> [Double] {
        var out = cosines
        for start in stride(from: 0, to: cosines.count, by: max(concepts, 1)) {
            let row = start..<(start + concepts)
            let peak = row.map { temperature * cosines[$0] }.max() ?? 0
            var sum = 0.0
            for i in row {
                out[i] = Foundation.exp(temperature * cosines[i] - peak)
                sum += out[i]
            }
            for i in row { out[i] /= sum }
        }
        return out
    }

    /// `P(concept | probe)` for every probe, stored once per distinct row: probes that share
    /// an annotator vector (the crops of one captioned photo) share one row of probabilities.
    public struct ConceptProbabilities: Sendable {
        /// `[rows × concepts]`, row-major, each row summing to 1.
        public let values: [Double]
        /// The row of every probe.
        public let rowOfProbe: [Int]
        /// The number of concepts.
        public let concepts: Int

        /// One row per probe.
        ///
        /// - Throws: ``InterpError/invalidParameter(_:)`` when `probabilities` does not hold
        ///   `probes × concepts` values.
        public init(probabilities: [Double], probes: Int, concepts: Int) throws {
            guard concepts > 0, probes > 0, probabilities.count == probes * concepts else {
                throw InterpError.invalidParameter("dissection: \(probes) probes do not match the concept and activation matrices")
            }
            values = probabilities
            rowOfProbe = Array(0..<probes)
            self.concepts = concepts
        }

        /// The softmax of `temperature ×` the cosines between each probe's annotator vector and
        /// each concept vector (CLIP-Dissect's recipe), computed once per distinct probe vector.
        ///
        /// - Throws: ``InterpError/invalidParameter(_:)`` when there are no probes or concepts,
        ///   or the vectors differ in size.
        public init(probeVectors: [[Float]], conceptVectors: [[Float]], temperature: Double = 10) throws {
            guard let dimension = probeVectors.first?.count, !conceptVectors.isEmpty,
                (probeVectors + conceptVectors).allSatisfy({ $0.count == dimension })
            else { throw InterpError.invalidParameter("dissection needs concepts with vectors of the annotator's dimension") }
            var rowOf: [[Float]: Int] = [:]
            var distinct: [[Float]] = []
            rowOfProbe = probeVectors.map { vector in
                if let row = rowOf[vector] { return row }
                rowOf[vector] = distinct.count
                distinct.append(vector)
                return distinct.count - 1
            }
            let cosines = Matrix.product(Matrix(distinct), transposed: false, Matrix(conceptVectors), transposed: true)
            values = Dissection.probabilities(cosines: cosines.values, concepts: conceptVectors.count, temperature: temperature)
            concepts = conceptVectors.count
        }
    }

    /// SoftWPMI scores `[neurons × concepts]`.
    ///
    /// - Parameters:
    ///   - probabilities: `[probes × concepts]`, row-major, each row summing to 1.
    ///   - activations: `[probes × neurons]`, row-major.
    ///   - probes: The number of probes.
    ///   - concepts: The number of concepts.
    ///   - neurons: The number of neurons.
    ///   - settings: The method's parameters.
    /// - Returns: `[neurons × concepts]`, row-major; each neuron's label is its row's largest.
    /// - Throws: ``InterpError/invalidParameter(_:)`` when the sizes disagree or there are fewer
    ///   probes than `topK`.
    public static func softWPMI(
        probabilities: [Double], activations: [Double], probes: Int, concepts: Int, neurons: Int, settings: Settings = Settings()
    ) throws -> [Double] {
        try softWPMI(
            ConceptProbabilities(probabilities: probabilities, probes: probes, concepts: concepts), activations: activations,
            neurons: neurons, settings: settings)
    }

    /// SoftWPMI scores `[neurons × concepts]` from probabilities shared between probes.
    ///
    /// Each probe's term is `log(aₖ + wₖ P)` with `aₖ = 1 − wₖ + ε`. A term is at least the
    /// smallest `aₖ`, so runs of terms can be multiplied before one logarithm is taken without
    /// leaving the range of a double (0.002⁶⁴ ≈ 10⁻¹⁷³ with the defaults); the product's
    /// rounding error (a few units in the last place per factor) stays far below the 1e-9
    /// the parity test allows.
    ///
    /// - Parameters:
    ///   - probabilities: Each probe's concept probabilities.
    ///   - activations: `[probes × neurons]`, row-major.
    ///   - neurons: The number of neurons.
    ///   - settings: The method's parameters.
    /// - Returns: `[neurons × concepts]`, row-major; each neuron's label is its row's largest.
    /// - Throws: ``InterpError/invalidParameter(_:)`` when the sizes disagree or there are fewer
    ///   probes than `topK`.
    public static func softWPMI(
        _ probabilities: ConceptProbabilities, activations: [Double], neurons: Int, settings: Settings = Settings()
    ) throws -> [Double] {
        var scores = try conditional(probabilities, activations: activations, neurons: neurons, settings: settings)
        let marginal = logMeanExp(scores, rows: neurons, concepts: probabilities.concepts)
        let lambda = settings.lambda, concepts = probabilities.concepts
        for neuron in 0..<neurons {
            for j in 0..<concepts { scores[neuron * concepts + j] -= lambda * marginal[j] }
        }
        return scores
    }

    /// `log P(concept | neuron)` for every neuron, `[neurons × concepts]`: the sum over the
    /// neuron's top-k probes of `log(1 + wₖ (P − 1) + ε)`.
    ///
    /// - Throws: as ``softWPMI(_:activations:neurons:settings:)``.
    static func conditional(
        _ probabilities: ConceptProbabilities, activations: [Double], neurons: Int, settings: Settings
    ) throws -> [Double] {
        let probes = probabilities.rowOfProbe.count, concepts = probabilities.concepts
        guard activations.count == probes * neurons, neurons > 0 else {
            throw InterpError.invalidParameter("dissection: \(probes) probes do not match the concept and activation matrices")
        }
        guard (1...probes).contains(settings.topK) else {
            throw InterpError.invalidParameter("dissection needs at least top-k = \(settings.topK) probes, got \(probes)")
        }
        let k = settings.topK
        let weights = (0..<k).map { settings.pStart - Double($0) / Double(k) * (settings.pStart - settings.pEnd) }
        let offsets = weights.map { 1 - $0 + settings.minProbability }
        // The longest run of factors whose product cannot underflow.
        let smallest = offsets.min() ?? 1
        let run = smallest >= 1 ? 64 : smallest <= 0 ? 1 : max(1, min(64, Int(-290 / Foundation.log10(smallest))))
        // Each neuron's top-k probes, best first; ties keep probe order (as a stable top-k would).
        var topRows = [Int](repeating: 0, count: neurons * k)
        topRows.withUnsafeMutableBufferPointer { rows in
            guard let rows = UnsafeMutableSendableBuffer(rows) else { return }
            DispatchQueue.concurrentPerform(iterations: neurons) { neuron in
                let column = (0..<probes).map { activations[$0 * neurons + neuron] }
                let order = column.indices.sorted { column[$0] != column[$1] ? column[$0] > column[$1] : $0 < $1 }
                for (rank, probe) in order.prefix(k).enumerated() { rows.base[neuron * k + rank] = probabilities.rowOfProbe[probe] }
            }
        }
        let rows = topRows
        var conditional = [Double](repeating: 0, count: neurons * concepts)
        // Tiles of concepts × neurons: a block of concepts keeps the probability rows it reads
        // in cache while a few neurons go over them; each tile writes its own part of the rows.
        let block = 1024, neuronTile = 8
        let blocks = (concepts + block - 1) / block, tiles = (neurons + neuronTile - 1) / neuronTile
        conditional.withUnsafeMutableBufferPointer { out in
            probabilities.values.withUnsafeBufferPointer { p in
                // Both buffers hold at least one value (checked above).
                guard let out = UnsafeMutableSendableBuffer(out), let p = UnsafeSendableBuffer(p) else { return }
                DispatchQueue.concurrentPerform(iterations: blocks * tiles) { index in
                    let lower = (index % blocks) * block, width = min(block, concepts - lower)
                    let firstNeuron = (index / blocks) * neuronTile
                    for neuron in firstNeuron..<min(firstNeuron + neuronTile, neurons) {
                        let row = out.base + neuron * concepts + lower
                        let sources = (0..<k).map { p.base + rows[neuron * k + $0] * concepts + lower }
                        for start in stride(from: 0, to: k, by: run) {
                            let ranks = start..<min(start + run, k)
                            // Eight concepts at a time, their products kept in registers over the run.
                            var i = 0
                            while i + 8 <= width {
                                var product = SIMD8<Double>(repeating: 1)
                                for rank in ranks {
                                    let value = UnsafeRawPointer(sources[rank] + i).loadUnaligned(as: SIMD8<Double>.self)
                                    product *= value * weights[rank] + offsets[rank]
                                }
                                for lane in 0..<8 { row[i + lane] += Foundation.log(product[lane]) }
                                i += 8
                            }
                            while i < width {
                                var product = 1.0
                                for rank in ranks { product *= offsets[rank] + weights[rank] * sources[rank][i] }
                                row[i] += Foundation.log(product)
                                i += 1
                            }
                        }
                    }
                }
            }
        }
        return conditional
    }

    /// `log P(concept)` over the first `rows` neurons: each column's log-mean-exp, a block of
    /// columns per core.
    static func logMeanExp(_ conditional: [Double], rows: Int, concepts: Int) -> [Double] {
        let block = 1024, blocks = (concepts + block - 1) / block
        var out = [Double](repeating: 0, count: concepts)
        let logCount = Foundation.log(Double(rows))
        out.withUnsafeMutableBufferPointer { result in
            conditional.withUnsafeBufferPointer { values in
                guard let result = UnsafeMutableSendableBuffer(result), let values = UnsafeSendableBuffer(values) else { return }
                DispatchQueue.concurrentPerform(iterations: blocks) { index in
                    let lower = index * block, width = min(block, concepts - lower)
                    var peak = [Double](repeating: -.infinity, count: width), sum = [Double](repeating: 0, count: width)
                    for neuron in 0..<rows {
                        let row = values.base + neuron * concepts + lower
                        for i in 0..<width { peak[i] = max(peak[i], row[i]) }
                    }
                    for neuron in 0..<rows {
                        let row = values.base + neuron * concepts + lower
                        for i in 0..<width { sum[i] += Foundation.exp(row[i] - peak[i]) }
                    }
                    for i in 0..<width { result.base[lower + i] = peak[i] + Foundation.log(sum[i]) - logCount }
                }
            }
        }
        return out
    }
}

/// What an adaptor was fitted on: each probe's text vector and the layer's activations.
public struct CouplingEvidence: Sendable {
    /// One unit vector per probe, from the annotator.
    public let textVectors: [[Float]]
    /// `[probes × channels]`, row-major, summarised as the fit was.
    public let activations: [Float]
    /// How many channels.
    public let channels: Int
    /// The photo of every probe.
    public let photos: [Int]
    /// The probes of the photos the fit held out.
    public let heldOutProbes: [Int]
    /// The map fitted on the training photos alone, `[d × channels]`.
    let trainingWeights: Matrix
    /// The training photos' mean text vector.
    let trainingTextMean: [Double]
    /// The fit's seed.
    let seed: UInt64
}

/// A channel's dissection label: the concepts with the largest SoftWPMI, with the channel's
/// median score over the concepts as its baseline and, when it was drawn, the score that
/// channels firing on random probes reach.
public struct DissectionLabel: Sendable, Hashable {
    /// A concept and its score.
    public struct Concept: Sendable, Hashable {
        /// The concept.
        public let text: String
        /// Its SoftWPMI score for the channel.
        public let score: Double
        /// The concept's mean probability over the channel's top-k probes divided by its mean
        /// over every probe (1: the strongest probes show it no more than the others); `nil`
        /// where it was not measured.
        public let lift: Double?

        init(text: String, score: Double, lift: Double? = nil) {
            self.text = text
            self.score = score
            self.lift = lift
        }
    }

    /// The channel.
    public let channel: Int
    /// The best concepts, best first.
    public let concepts: [Concept]
    /// The median score over every concept for this channel.
    public let median: Double
    /// The 95th percentile of the best score of channels whose top-k probes are drawn at random,
    /// each in the place of one of the layer's channels (the same for every channel of a layer);
    /// `nil` where no null was drawn.
    public let nullP95: Double?

    init(channel: Int, concepts: [Concept], median: Double, nullP95: Double? = nil) {
        self.channel = channel
        self.concepts = concepts
        self.median = median
        self.nullP95 = nullP95
    }

    /// Whether the best concept's score beats the null's 95th percentile (`false` without a null).
    public var beatsNull: Bool {
        guard let nullP95, let best = concepts.first else { return false }
        return best.score > nullP95
    }
}

extension Dissection {
    /// The labels of every channel of a layer, with the null of random channels.
    public struct LayerLabels: Sendable {
        /// One label per channel the caller asked for, in the caller's order.
        public let labels: [DissectionLabel]
        /// How many of the layer's channels have a best score above the null's 95th percentile.
        public let beatingNull: Int
        /// The layer's channel count.
        public let channels: Int
        /// How many random channels the null drew.
        public let nullDraws: Int
        /// The 95th percentile of the null's best scores.
        public let nullP95: Double
        /// The top-k the scores used.
        public let topK: Int
    }

    /// SoftWPMI labels for `selected` channels of a layer, each with its median and the lift of
    /// its concepts, against a null of `nullDraws` channels whose activations are seeded noise
    /// (so their top-k probes are a random draw).
    ///
    /// A null channel has random activations (per photo when `photos` is given) and is scored
    /// in the place of one of the layer's channels, drawn at random:
    /// its `log P(concept)` is the log-mean-exp over the other channels and itself, so that its
    /// score has the same ceiling (the log of the channel count, reached when no other channel's
    /// strongest probes show the concept) as a real channel's. A small layer, whose channels
    /// leave many concepts to nobody, has a high null; a label only means something above it.
    /// `topK` is at most a fifth of the probes.
    ///
    /// - Parameters:
    ///   - selected: The channels to label.
    ///   - concepts: The concepts, in the order of `probabilities`' columns.
    ///   - probabilities: Every probe's concept probabilities.
    ///   - activations: `[probes × channels]`, row-major.
    ///   - channels: The layer's channel count.
    ///   - top: Concepts per label.
    ///   - nullDraws: Random channels in the null (at least 20).
    ///   - photos: The photo of every probe, when probes are crops of photos: a null channel
    ///     then fires on random whole photos, not on scattered crops.
    ///   - seed: The null's seed.
    /// - Returns: The labels and the layer's summary against the null.
    /// - Throws: ``InterpError/invalidParameter(_:)`` when the sizes disagree;
    ///   ``InterpError/channelOutOfRange(layer:channel:channels:)``.
    public static func labels(
        channels selected: [Int], concepts: [String], probabilities: ConceptProbabilities, activations: [Float], channels: Int,
        top: Int = 3, nullDraws: Int = 100, photos: [Int]? = nil, seed: UInt64 = 0
    ) throws -> LayerLabels {
        let probes = probabilities.rowOfProbe.count
        if let photos, photos.count != probes || photos.contains(where: { $0 < 0 }) {
            throw InterpError.invalidParameter("dissection: \(photos.count) photo indices for \(probes) probes")
        }
        guard probabilities.concepts == concepts.count, channels > 0, activations.count == probes * channels else {
            throw InterpError.invalidParameter(
                "dissection: probabilities for \(probes) probes and \(probabilities.concepts) concepts do not match \(concepts.count) concepts and \(activations.count / max(channels, 1)) probes of activations"
            )
        }
        guard nullDraws >= 20 else { throw InterpError.invalidParameter("dissection's null needs at least 20 draws, got \(nullDraws)") }
        for channel in selected where !(0..<channels).contains(channel) {
            throw InterpError.channelOutOfRange(layer: "the dissected layer", channel: channel, channels: channels)
        }
        var settings = Settings()
        settings.topK = min(settings.topK, max(1, probes / 5))
        // The layer and the null's channels in one pass. A null channel's activations are
        // uniform noise, drawn once per photo when the probes have photos (with a thousandth of
        // noise per probe to order a photo's crops), so that it fires on whole photos as a real
        // channel tends to.
        var rng = SplitMix64(seed: seed)
        let wide = channels + nullDraws
        var widened = [Double](repeating: 0, count: probes * wide)
        for probe in 0..<probes {
            for c in 0..<channels { widened[probe * wide + c] = Double(activations[probe * channels + c]) }
        }
        let photoCount = (photos?.max() ?? -1) + 1
        for c in channels..<wide {
            let perPhoto = (0..<photoCount).map { _ in Double.random(in: 0..<1, using: &rng) }
            for probe in 0..<probes {
                let own = Double.random(in: 0..<1, using: &rng)
                widened[probe * wide + c] = photos.map { perPhoto[$0[probe]] + own / 1000 } ?? own
            }
        }
        var scores = try conditional(probabilities, activations: widened, neurons: wide, settings: settings)
        let count = concepts.count, lambda = settings.lambda
        // A null channel takes the place of one of the layer's channels, drawn at random: the
        // layer's marginal with that channel's term swapped for the null's, so that a null score
        // has the same ceiling (the log of the channel count) as a real one.
        let marginal = logMeanExp(scores, rows: channels, concepts: count)
        let layerSize = Double(channels)
        var nullBest: [Double] = []
        for c in channels..<wide {
            let replaced = Int.random(in: 0..<channels, using: &rng)
            var best = -Double.infinity
            for j in 0..<count {
                let own = scores[c * count + j], m = marginal[j]
                let rest = max(0, layerSize - Foundation.exp(scores[replaced * count + j] - m))
                best = max(best, own - lambda * (m + Foundation.log((rest + Foundation.exp(own - m)) / layerSize)))
            }
            nullBest.append(best)
        }
        nullBest.sort()
        let p95 = nullBest[min(nullBest.count - 1, Int((0.95 * Double(nullBest.count)).rounded(.up)) - 1)]
        scores.removeLast(nullDraws * count)
        for c in 0..<channels {
            for j in 0..<count { scores[c * count + j] -= lambda * marginal[j] }
        }
        let beating = (0..<channels).filter { c in (0..<count).contains { scores[c * count + $0] > p95 } }.count
        let labels = selected.map { channel in
            let row = Array(scores[(channel * count)..<((channel + 1) * count)])
            let column = (0..<probes).map { activations[$0 * channels + channel] }
            let strongest = column.indices.sorted { column[$0] != column[$1] ? column[$0] > column[$1] : $0 < $1 }.prefix(settings.topK)
            func meanProbability(_ probes: some Collection<Int>, _ concept: Int) -> Double {
                probes.reduce(0.0) { $0 + probabilities.values[probabilities.rowOfProbe[$1] * count + concept] } / Double(probes.count)
            }
            var scratch = row
            return DissectionLabel(
                channel: channel,
                concepts: Adaptor.topIndices(row, count: top).map { j in
                    let overall = meanProbability(0..<probes, j)
                    return DissectionLabel.Concept(
                        text: concepts[j], score: row[j], lift: overall > 0 ? meanProbability(strongest, j) / overall : nil)
                },
                median: Adaptor.select(&scratch, rank: row.count / 2), nullP95: p95)
        }
        return LayerLabels(
            labels: labels, beatingNull: beating, channels: channels, nullDraws: nullDraws, nullP95: p95, topK: settings.topK)
    }
}

extension CouplingEvidence {
    /// What the fit on the training photos alone predicts for each of `vectors` (of the
    /// annotator's dimension), `[texts × channels]`: for choices that must not see the held-out
    /// photos.
    func trainingPredictions(_ vectors: [[Float]]) -> Matrix {
        Matrix.product(Matrix(vectors, subtracting: trainingTextMean), trainingWeights)
    }

    /// Dissects `selected` channels against `concepts` (texts with vectors from the same
    /// encoder): each probe's concept probabilities are the softmax of 10 × the cosines between
    /// its annotator vector and the concepts (CLIP-Dissect's recipe with the sentence encoder in
    /// CLIP's place), then SoftWPMI over every channel of the layer, with `topK` at most a fifth
    /// of the probes.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for an empty corpus or vectors of another
    ///   size; ``InterpError/channelOutOfRange(layer:channel:channels:)``.
    public func dissect(channels selected: [Int], concepts: [String], vectors: [[Float]], top: Int = 3) throws -> [DissectionLabel] {
        guard !concepts.isEmpty, concepts.count == vectors.count, let dimension = textVectors.first?.count,
            vectors.allSatisfy({ $0.count == dimension })
        else { throw InterpError.invalidParameter("dissection needs concepts with vectors of the annotator's dimension") }
        for channel in selected where !(0..<channels).contains(channel) {
            throw InterpError.channelOutOfRange(layer: "the coupled layer", channel: channel, channels: channels)
        }
        return try dissect(
            channels: selected, concepts: concepts,
            probabilities: Dissection.ConceptProbabilities(probeVectors: textVectors, conceptVectors: vectors), top: top)
    }

    /// Dissects `selected` channels with concept probabilities computed once for every layer
    /// fitted on the same probes and annotator (``Dissection/ConceptProbabilities/init(probeVectors:conceptVectors:temperature:)``
    /// with this evidence's ``textVectors``).
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when the probabilities are for other
    ///   probes or concepts; ``InterpError/channelOutOfRange(layer:channel:channels:)``.
    public func dissect(
        channels selected: [Int], concepts: [String], probabilities: Dissection.ConceptProbabilities, top: Int = 3
    ) throws -> [DissectionLabel] {
        guard probabilities.concepts == concepts.count, probabilities.rowOfProbe.count == textVectors.count else {
            throw InterpError.invalidParameter(
                "dissection: probabilities for \(probabilities.rowOfProbe.count) probes and \(probabilities.concepts) concepts, not \(textVectors.count) and \(concepts.count)"
            )
        }
        for channel in selected where !(0..<channels).contains(channel) {
            throw InterpError.channelOutOfRange(layer: "the coupled layer", channel: channel, channels: channels)
        }
        return try Dissection.labels(
            channels: selected, concepts: concepts, probabilities: probabilities, activations: activations, channels: channels, top: top,
            photos: photos, seed: seed
        ).labels
    }
}

/// A buffer's base address that concurrent iterations may write at disjoint offsets.
private struct UnsafeMutableSendableBuffer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    init?(_ buffer: UnsafeMutableBufferPointer<Element>) {
        guard let base = buffer.baseAddress else { return nil }
        self.base = base
    }
}

/// A buffer's base address that concurrent iterations read.
private struct UnsafeSendableBuffer: @unchecked Sendable {
    let base: UnsafePointer<Double>
    init?(_ buffer: UnsafeBufferPointer<Double>) {
        guard let base = buffer.baseAddress else { return nil }
        self.base = base
    }
}
