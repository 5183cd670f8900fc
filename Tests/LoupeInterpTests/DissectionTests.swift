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

    @Test func tooFewProbesOrMismatchedMatricesAreRefused() throws {
        #expect(throws: InterpError.self) {
            try Dissection.softWPMI(probabilities: [1, 0], activations: [1], probes: 1, concepts: 2, neurons: 1)
        }
        #expect(throws: InterpError.self) {
            try Dissection.softWPMI(probabilities: [1, 0, 0], activations: [1], probes: 1, concepts: 2, neurons: 1)
        }
    }
}
