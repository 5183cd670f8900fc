import Dispatch
import Foundation

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

    /// `row[i] += log1p(ratio × values[i])` for `count` elements.
    ///
    /// Most probabilities are small, so the Taylor series to the 12th power (error below 1e-14
    /// for arguments up to 0.1) runs over every element in a loop the compiler vectorises, and
    /// the few larger arguments are corrected with `log1p` in a second pass.
    static func addLog1p(into row: UnsafeMutablePointer<Double>, scaling values: UnsafePointer<Double>, by ratio: Double, count: Int) {
        let limit = 0.1
        for i in 0..<count {
            let t = ratio * values[i]
            var s = -1.0 / 12
            s = s * t + 1.0 / 11
            s = s * t - 1.0 / 10
            s = s * t + 1.0 / 9
            s = s * t - 1.0 / 8
            s = s * t + 1.0 / 7
            s = s * t - 1.0 / 6
            s = s * t + 1.0 / 5
            s = s * t - 1.0 / 4
            s = s * t + 1.0 / 3
            s = s * t - 1.0 / 2
            s = s * t + 1
            row[i] += t <= limit ? s * t : 0
        }
        for i in 0..<count {
            let t = ratio * values[i]
            if t > limit { row[i] += Foundation.log1p(t) }
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
        guard probabilities.count == probes * concepts, activations.count == probes * neurons, concepts > 0, neurons > 0 else {
            throw InterpError.invalidParameter("dissection: \(probes) probes do not match the concept and activation matrices")
        }
        guard (1...probes).contains(settings.topK) else {
            throw InterpError.invalidParameter("dissection needs at least top-k = \(settings.topK) probes, got \(probes)")
        }
        let k = settings.topK
        let weights = (0..<k).map { settings.pStart - Double($0) / Double(k) * (settings.pStart - settings.pEnd) }
        var conditional = [Double](repeating: 0, count: neurons * concepts)
        let minProbability = settings.minProbability
        // Neurons are independent: each core takes a share of them, writing its own rows.
        conditional.withUnsafeMutableBufferPointer { out in
            probabilities.withUnsafeBufferPointer { p in
                // Both buffers hold probes × concepts > 0 values (checked above).
                guard let out = UnsafeMutableSendableBuffer(out), let p = UnsafeSendableBuffer(p) else { return }
                DispatchQueue.concurrentPerform(iterations: neurons) { neuron in
                    // The top-k probes, best first; ties keep probe order (as a stable top-k would).
                    let order = (0..<probes).sorted {
                        let (a, b) = (activations[$0 * neurons + neuron], activations[$1 * neurons + neuron])
                        return a != b ? a > b : $0 < $1
                    }
                    let row = out.base + neuron * concepts
                    var constant = 0.0
                    for (rank, probe) in order.prefix(k).enumerated() {
                        // log(1 + w (P − 1) + ε) = log(a) + log1p(t) with a = 1 − w + ε and t = w P / a.
                        let w = weights[rank], a = 1 - w + minProbability, ratio = w / a
                        constant += Foundation.log(a)
                        Self.addLog1p(into: row, scaling: p.base + probe * concepts, by: ratio, count: concepts)
                    }
                    for concept in 0..<concepts { row[concept] += constant }
                }
            }
        }
        var scores = conditional
        for concept in 0..<concepts {
            let column = (0..<neurons).map { conditional[$0 * concepts + concept] }
            let peak = column.max() ?? 0
            let logMean = peak + Foundation.log(column.reduce(0) { $0 + Foundation.exp($1 - peak) }) - Foundation.log(Double(neurons))
            for neuron in 0..<neurons { scores[neuron * concepts + concept] -= settings.lambda * logMean }
        }
        return scores
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

/// A channel's dissection label: the concept with the largest SoftWPMI, with the channel's
/// median score over the concepts as its baseline.
public struct DissectionLabel: Sendable, Hashable {
    /// A concept and its score.
    public struct Concept: Sendable, Hashable {
        /// The concept.
        public let text: String
        /// Its SoftWPMI score for the channel.
        public let score: Double
    }

    /// The channel.
    public let channel: Int
    /// The best concepts, best first.
    public let concepts: [Concept]
    /// The median score over every concept for this channel.
    public let median: Double
}

extension CouplingEvidence {
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
        let probes = textVectors.count
        let cosines = Matrix.product(Matrix(textVectors), transposed: false, Matrix(vectors), transposed: true)
        let probabilities = Dissection.probabilities(cosines: cosines.values, concepts: concepts.count, temperature: 10)
        var settings = Dissection.Settings()
        settings.topK = min(settings.topK, max(1, probes / 5))
        let scores = try Dissection.softWPMI(
            probabilities: probabilities, activations: activations.map(Double.init), probes: probes, concepts: concepts.count,
            neurons: channels, settings: settings)
        return selected.map { channel in
            let row = Array(scores[(channel * concepts.count)..<((channel + 1) * concepts.count)])
            var scratch = row
            return DissectionLabel(
                channel: channel,
                concepts: Adaptor.topIndices(row, count: top).map { DissectionLabel.Concept(text: concepts[$0], score: row[$0]) },
                median: Adaptor.select(&scratch, rank: row.count / 2))
        }
    }
}

/// A buffer's base address that concurrent iterations may write at disjoint offsets.
private struct UnsafeMutableSendableBuffer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>
    init?(_ buffer: UnsafeMutableBufferPointer<Double>) {
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
