import Foundation
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

    @Test func tooFewProbesOrMismatchedMatricesAreRefused() throws {
        #expect(throws: InterpError.self) {
            try Dissection.softWPMI(probabilities: [1, 0], activations: [1], probes: 1, concepts: 2, neurons: 1)
        }
        #expect(throws: InterpError.self) {
            try Dissection.softWPMI(probabilities: [1, 0, 0], activations: [1], probes: 1, concepts: 2, neurons: 1)
        }
    }
}
