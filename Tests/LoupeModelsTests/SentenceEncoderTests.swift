import Foundation
import LoupeTensor
import Testing

@testable import LoupeModels

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

    /// The stacked projections and packed attention (what runs when nothing observes them) give
    /// the hidden states of the separate query, key and value layers, which run when a hook reads one.
    @Test func packedAttentionEqualsTheObservedLayers() throws {
        let encoder = try Self.encoder.get()
        let ids = try Tensor(shape: [2, 6], scalars: [101, 1037, 3899, 2006, 1037, 102, 101, 1037, 4171, 102, 0, 0].map(Float.init))
        let mask = try Tensor(shape: [2, 1, 1, 6], scalars: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1e30, -1e30])
        var seen: [String] = []
        func run(observing: Set<String>?) throws -> [Float] {
            try GradMode.withoutGrad {
                var context = ForwardContext(
                    hook: { name, output in
                        seen.append(name)
                        return output
                    }, observing: observing)
                context.attentionMask = mask
                return try encoder.network.forward(ids, context: &context).scalars
            }
        }
        let packed = try run(observing: [])
        let layers = try run(observing: Set((0..<6).map { "encoder.layer.\($0).attention.self.key" }))
        #expect(seen.filter { $0.hasSuffix("self.key") }.count == 6)
        let worst = zip(packed, layers).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5, "max |packed − layer by layer| = \(worst)")
    }

    /// The store's files for the text model, and a scratch folder.
    static func files() throws -> (weights: URL, vocabulary: URL, configuration: BERTConfiguration, scratch: URL) {
        let entry = try ModelStore.entry(named: ModelStore.defaultTextModel)
        guard case let .text(configuration) = entry.kind else { throw ModelError.invalidSource("not a text model") }
        let files = try ModelStore().installFiles(entry)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-text-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        return (files[0], files[1], configuration, scratch)
    }

    @Test func truncatedOrTamperedWeightsAreNamedNotLoaded() throws {
        let (weights, _, configuration, scratch) = try Self.files()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let data = try Data(contentsOf: weights)
        let truncated = scratch.appendingPathComponent("truncated.safetensors")
        try data.prefix(data.count / 2).write(to: truncated)
        do {
            _ = try SentenceEncoder(configuration: configuration, weights: truncated, name: "minilm")
            Issue.record("a truncated file must not load")
        } catch let error as ModelError {
            #expect("\(error)".contains(truncated.path), "\(error)")
        }
        // A header whose JSON is broken (one byte changed inside it).
        var tampered = data
        tampered[tampered.startIndex + 9] = UInt8(ascii: "!")
        let broken = scratch.appendingPathComponent("tampered.safetensors")
        try tampered.write(to: broken)
        do {
            _ = try SentenceEncoder(configuration: configuration, weights: broken, name: "minilm")
            Issue.record("a tampered header must not load")
        } catch let error as ModelError {
            #expect("\(error)".contains(broken.path) && "\(error)".contains("header"), "\(error)")
        }
    }

    @Test func aVocabularyThatDisagreesWithTheWeightsIsRefused() throws {
        let (weights, vocabulary, configuration, scratch) = try Self.files()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let lines = try String(contentsOf: vocabulary, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let short = scratch.appendingPathComponent("vocab.txt")
        try lines.dropLast(101).joined(separator: "\n").write(to: short, atomically: true, encoding: .utf8)
        #expect(
            throws: ModelError.invalidSource(
                "\(short.path) has \(configuration.vocabularySize - 100) tokens, but the weights embed \(configuration.vocabularySize)")
        ) {
            try TextEmbedder(name: "minilm", sha256: "", configuration: configuration, weights: weights, vocabulary: short)
        }
    }
}
