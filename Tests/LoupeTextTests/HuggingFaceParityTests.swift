import Foundation
import Testing

@testable import LoupeText

/// Loupe's ids against Hugging Face tokenizers' on the corpus of `Scripts/parity/text.py`.
///
/// `tokens.json` holds, for each text, the ids `tokenizers` gives with all-MiniLM-L6-v2's
/// `tokenizer.json`, truncated to 256 as sentence-transformers does. Every text must match
/// exactly. With `LOUPE_TOKENS_OUT=path` set, the test also writes Loupe's ids there as
/// `{"cases": [[text, ids], ...]}`, which `text.py tokens run` compares and explains.
@Suite struct HuggingFaceParityTests {
    /// One text and its ids.
    struct Case: Codable {
        let text: String
        let ids: [Int]

        init(text: String, ids: [Int]) {
            self.text = text
            self.ids = ids
        }

        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            text = try container.decode(String.self)
            ids = try container.decode([Int].self)
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(text)
            try container.encode(ids)
        }
    }

    /// The layout of `tokens.json`.
    struct File: Codable {
        let cases: [Case]
        var untruncatedCounts: [Int]?
        var tokenizers: String?
        var maxLength: Int?

        enum CodingKeys: String, CodingKey {
            case cases, tokenizers
            case untruncatedCounts = "untruncated_counts"
            case maxLength = "max_length"
        }
    }

    @Test func corpusMatchesHuggingFace() throws {
        let file = try Fixtures.load("tokens.json", as: File.self)
        let tokenizer = try Fixtures.tokenizer(maximumLength: try #require(file.maxLength))
        let counts = try #require(file.untruncatedCounts)
        try #require(counts.count == file.cases.count)
        #expect(file.cases.count >= 300)

        let encoded = file.cases.map { tokenizer.encode($0.text) }
        var differences = 0
        for (index, (expected, actual)) in zip(file.cases, encoded).enumerated() where expected.ids != actual.ids {
            differences += 1
            let at =
                zip(expected.ids, actual.ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(expected.ids.count, actual.ids.count)
            let window = max(0, at - 3)..<(at + 4)
            let tokens = { (ids: [Int]) in ids[window.clamped(to: ids.indices)].map { tokenizer.vocabulary.token(for: $0) ?? "?" } }
            Issue.record(
                "#\(index) \(String(reflecting: String(expected.text.prefix(60)))): first difference at \(at): Hugging Face \(tokens(expected.ids)), Loupe \(tokens(actual.ids))"
            )
        }
        #expect(differences == 0, "\(differences) of \(file.cases.count) texts differ from Hugging Face")
        #expect(zip(encoded, counts).allSatisfy { $0.untruncatedCount == $1 }, "the counts before truncation differ")
        #expect(encoded.contains { $0.isTruncated })

        if let output = ProcessInfo.processInfo.environment["LOUPE_TOKENS_OUT"] {
            let loupe = File(cases: zip(file.cases, encoded).map { Case(text: $0.text, ids: $1.ids) })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            try encoder.encode(loupe).write(to: URL(fileURLWithPath: output))
        }
    }

    @Test func batchesGiveTheSameIdsAsSingleTexts() throws {
        let file = try Fixtures.load("tokens.json", as: File.self)
        let tokenizer = try Fixtures.tokenizer()
        let texts = file.cases.map(\.text)
        let sorted = try tokenizer.encodeBatches(texts, batchSize: 32)
        let ids = sorted.restored(sorted.batches.map(\.unpaddedIDs))
        let differing = zip(ids, file.cases).enumerated().filter { $0.element.0 != $0.element.1.ids }.map(\.offset)
        #expect(ids.count == file.cases.count)
        #expect(differing.isEmpty, "texts \(differing.prefix(10)) differ when batched")
        for batch in sorted.batches {
            #expect(batch.paddedLength == batch.lengths.max())
            #expect(batch.ids.allSatisfy { $0.count == batch.paddedLength })
        }
    }
}
