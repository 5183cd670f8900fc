import Foundation
import LoupeModels
import LoupeTensor
import Testing

/// all-MiniLM-L6-v2 from the store against a plain PyTorch BERT on the same safetensors
/// (`Scripts/parity/text.py embeddings write` makes the fixture from token ids).
@Suite struct SentenceEncoderTests {
    struct Reference: Decodable {
        let seqs: [[Int]]
        let emb: [[Float]]
    }

    static let encoder = Result {
        let entry = try ModelStore.entry(named: ModelStore.defaultTextModel)
        guard case let .text(configuration) = entry.kind else { throw ModelError.invalidSource("not a text model") }
        let url = try ModelStore().install(entry)
        return try SentenceEncoder(configuration: configuration, weights: url, name: entry.name)
    }

    @Test func embeddingsEqualPyTorchsOnTheSameTokenIDs() throws {
        let encoder = try Self.encoder.get()
        let url = try #require(Bundle.module.url(forResource: "minilm_ids", withExtension: "json", subdirectory: "Fixtures/text"))
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        let vectors = try encoder.embed(tokenIDs: reference.seqs)
        #expect(vectors.count == reference.emb.count)
        for (ours, theirs) in zip(vectors, reference.emb) {
            #expect(ours.count == 384)
            let cosine = zip(ours, theirs).reduce(0) { $0 + $1.0 * $1.1 }
            let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 1
            #expect(cosine > 1 - 1e-6, "cosine \(cosine)")
            #expect(worst < 1e-5, "max |Δ| \(worst)")
        }
    }

    /// A sequence's vector does not depend on the batch it is in (padding is masked), and a
    /// permuted batch gives the permuted vectors.
    @Test func paddingAndOrderDoNotChangeAVector() throws {
        let encoder = try Self.encoder.get()
        let short = [101, 1037, 4171, 2433, 102], long = [101, 1037, 3899, 2006, 1037, 6847, 102]
        let alone = try encoder.embed(tokenIDs: [short])[0]
        let batched = try encoder.embed(tokenIDs: [long, short])
        let swapped = try encoder.embed(tokenIDs: [short, long])
        #expect(zip(alone, batched[1]).map { abs($0 - $1) }.max() ?? 1 < 1e-5)
        #expect(zip(batched[0], swapped[1]).map { abs($0 - $1) }.max() ?? 1 < 1e-6)
        let norm = alone.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(norm - 1) < 1e-5)
    }
}
