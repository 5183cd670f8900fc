import Foundation
import LoupeTensor
import Testing

@testable import LoupeInterp

/// SoftWPMI against the reference algorithm (CLIP-Dissect's `soft_wpmi`, ported to float64
/// PyTorch by `Scripts/parity/dissect.py write`), on seeded matrices with a planted neuron.
@Suite struct DissectionTests {
    struct Fixture: Decodable {
        struct Case: Decodable {
            let images: Int
            let concepts: Int
            let neurons: Int
            let top_k: Int
            let lambda: Double
            let cosines: [Double]
            let probabilities: [Double]
            let activations: [Double]
            let scores: [Double]
        }
        let cases: [Case]
    }

    static func fixture() throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: "softwpmi", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test func softWPMIEqualsTheReference() throws {
        let fixture = try Self.fixture()
        #expect(fixture.cases.count == 3)
        for c in fixture.cases {
            let probabilities = Dissection.probabilities(cosines: c.cosines, concepts: c.concepts, temperature: 10)
            let softmaxError = zip(probabilities, c.probabilities).map { abs($0 - $1) }.max() ?? 1
            #expect(softmaxError < 1e-12)
            var settings = Dissection.Settings()
            settings.topK = c.top_k
            settings.lambda = c.lambda
            let scores = try Dissection.softWPMI(
                probabilities: c.probabilities, activations: c.activations, probes: c.images, concepts: c.concepts, neurons: c.neurons,
                settings: settings)
            let worst = zip(scores, c.scores).map { abs($0 - $1) }.max() ?? 1
            #expect(worst <= 1e-9, "\(c.images)×\(c.concepts), top-k \(c.top_k): max |difference| \(worst)")
            // The planted neuron 0 fires where concept 0 is likely: that is its label.
            let row = scores[0..<c.concepts]
            #expect(row.indices.max { row[$0] < row[$1] } == 0)
        }
    }

    /// The formula term by term: one logarithm per probe, as the reference takes them.
    static func naiveConditional(
        probabilities: [Double], activations: [Double], probes: Int, concepts: Int, neurons: Int, settings: Dissection.Settings
    ) -> [Double] {
        let k = settings.topK
        var out = [Double](repeating: 0, count: neurons * concepts)
        for neuron in 0..<neurons {
            let order = (0..<probes).sorted { activations[$0 * neurons + neuron] > activations[$1 * neurons + neuron] }
            for (rank, probe) in order.prefix(k).enumerated() {
                let w = settings.pStart - Double(rank) / Double(k) * (settings.pStart - settings.pEnd)
                for c in 0..<concepts {
                    // 1 + w (P − 1) + ε, summed without the cancellation of P − 1 for tiny P.
                    out[neuron * concepts + c] += log((1 - w + settings.minProbability) + w * probabilities[probe * concepts + c])
                }
            }
        }
        return out
    }

    /// Probes that share an annotator vector share a row of probabilities; the scores do not
    /// change, and runs of factors multiplied before their logarithm agree with one logarithm
    /// per factor even when a factor can be as small as 10⁻¹² (a run of one).
    @Test func sharedRowsAndLongRunsGiveTheSameScores() throws {
        var rng = SplitMix64(seed: 7)
        let photos = 12, crops = 5, probes = photos * crops, concepts = 70, neurons = 6, dimension = 8
        let photoVectors = (0..<photos).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) } }
        let probeVectors = (0..<probes).map { photoVectors[$0 / crops] }
        let conceptVectors = (0..<concepts).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) } }
        let activations = (0..<(probes * neurons)).map { _ in Double.random(in: 0...1, using: &rng) }
        let shared = try Dissection.ConceptProbabilities(probeVectors: probeVectors, conceptVectors: conceptVectors)
        #expect(shared.values.count == photos * concepts)
        let perProbe = shared.rowOfProbe.flatMap { shared.values[($0 * concepts)..<(($0 + 1) * concepts)] }
        for (pStart, minProbability) in [(0.998, 1e-7), (1.0, 1e-12)] {
            var settings = Dissection.Settings()
            settings.topK = 40
            settings.pStart = pStart
            settings.minProbability = minProbability
            let a = try Dissection.softWPMI(shared, activations: activations, neurons: neurons, settings: settings)
            let b = try Dissection.softWPMI(
                probabilities: perProbe, activations: activations, probes: probes, concepts: concepts, neurons: neurons, settings: settings)
            #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-12 })
            // The conditional part, term by term; the scores subtract one column constant from it.
            let naive = Self.naiveConditional(
                probabilities: perProbe, activations: activations, probes: probes, concepts: concepts, neurons: neurons, settings: settings)
            for c in 0..<concepts {
                let shifts = (0..<neurons).map { naive[$0 * concepts + c] - a[$0 * concepts + c] }
                let spread = (shifts.max() ?? 0) - (shifts.min() ?? 0)
                #expect(spread < 1e-9, "concept \(c), pStart \(pStart): the scores are not the naive sums minus one constant")
            }
        }
    }

    /// Labels with their null, on a planted layer.
    ///
    /// Each channel but the last fires on one of the concepts (two channels a concept); the
    /// last is noise. Each planted channel is labelled with its concept, beats the null and
    /// shows the concept more on its strongest probes; the noise channel does not beat it. The null's 95th percentile equals one computed term by term
    /// (the seeded noise columns and replaced channels drawn again here as the method draws
    /// them).
    @Test func labelsComeWithLiftAndANullOfRandomChannels() throws {
        let probes = 300, concepts = 15, planted = 30, channels = planted + 1, draws = 40
        var rng = SplitMix64(seed: 3)
        let shown = (0..<probes).map { $0 % concepts }
        var probabilities = [Double](repeating: 0, count: probes * concepts)
        for p in 0..<probes {
            let logits = (0..<concepts).map { j in (j == shown[p] ? 4.0 : 0) + Double.random(in: 0..<1, using: &rng) }
            let sum = logits.reduce(0) { $0 + exp($1) }
            for j in 0..<concepts { probabilities[p * concepts + j] = exp(logits[j]) / sum }
        }
        var activations = [Float](repeating: 0, count: probes * channels)
        for p in 0..<probes {
            for c in 0..<planted {
                activations[p * channels + c] = (shown[p] == c % concepts ? 1 : 0) + Float.random(in: 0..<0.5, using: &rng)
            }
            activations[p * channels + planted] = Float.random(in: 0..<1, using: &rng)
        }
        let names = (0..<concepts).map { "concept \($0)" }
        let table = try Dissection.ConceptProbabilities(probabilities: probabilities, probes: probes, concepts: concepts)
        let labelled = try Dissection.labels(
            channels: Array(0..<channels), concepts: names, probabilities: table, activations: activations, channels: channels, top: 3,
            nullDraws: draws, seed: 11)
        #expect(labelled.topK == 60)
        for c in 0..<planted {
            let label = labelled.labels[c]
            #expect(label.concepts.first?.text == "concept \(c % concepts)")
            #expect(label.beatsNull, "channel \(c): \(label.concepts[0].score) vs \(labelled.nullP95)")
            #expect((label.concepts.first?.lift ?? 0) > 2)
            #expect(label.median < label.concepts[0].score)
        }
        #expect(!labelled.labels[planted].beatsNull)
        // The best of fifteen concepts on sixty random probes is somewhat lifted by the choice
        // alone, but far less than a planted concept.
        let noiseLift = labelled.labels[planted].concepts.first?.lift ?? 99
        #expect(labelled.labels.prefix(planted).allSatisfy { ($0.concepts.first?.lift ?? 0) > noiseLift })
        #expect(labelled.beatingNull == planted)

        // The null term by term.
        var settings = Dissection.Settings()
        settings.topK = 60
        let real = Self.naiveConditional(
            probabilities: probabilities, activations: activations.map(Double.init), probes: probes, concepts: concepts, neurons: channels,
            settings: settings)
        var noiseRNG = SplitMix64(seed: 11)
        var noise = [Double](repeating: 0, count: probes * draws)
        for d in 0..<draws {
            for p in 0..<probes { noise[p * draws + d] = Double.random(in: 0..<1, using: &noiseRNG) }
        }
        let null = Self.naiveConditional(
            probabilities: probabilities, activations: noise, probes: probes, concepts: concepts, neurons: draws, settings: settings)
        let best = (0..<draws).map { d in
            let replaced = Int.random(in: 0..<channels, using: &noiseRNG)
            return (0..<concepts).map { j in
                let column = (0..<channels).map { $0 == replaced ? null[d * concepts + j] : real[$0 * concepts + j] }
                let marginal = log(column.reduce(0) { $0 + exp($1) } / Double(channels))
                return null[d * concepts + j] - marginal
            }.max() ?? 0
        }.sorted()
        let p95 = best[Int((0.95 * Double(draws)).rounded(.up)) - 1]
        #expect(abs(labelled.nullP95 - p95) < 1e-9, "null p95 \(labelled.nullP95), term by term \(p95)")

        #expect(throws: InterpError.self) {
            try Dissection.labels(
                channels: [channels], concepts: names, probabilities: table, activations: activations, channels: channels)
        }
        #expect(throws: InterpError.self) {
            try Dissection.labels(
                channels: [0], concepts: names, probabilities: table, activations: activations, channels: channels, nullDraws: 5)
        }
    }

    @Test func tooFewProbesOrMismatchedMatricesAreRefused() throws {
        #expect(throws: InterpError.self) {
            try Dissection.softWPMI(probabilities: [1, 0], activations: [1], probes: 1, concepts: 2, neurons: 1)
        }
        #expect(throws: InterpError.self) {
            try Dissection.softWPMI(probabilities: [1, 0, 0], activations: [1], probes: 1, concepts: 2, neurons: 1)
        }
    }
}
