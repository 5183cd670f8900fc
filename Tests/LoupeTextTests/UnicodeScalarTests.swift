import Foundation
import Testing

@testable import LoupeText

/// Every Unicode scalar through the normalizer and the pre-tokenizer, against what Hugging Face
/// tokenizers does with it (`unicode-scalars.json`).
///
/// This pins the character classes to Hugging Face's, whose Unicode tables are older than the
/// Swift toolchain's: a toolchain upgrade that changes a class shows up here.
@Suite struct UnicodeScalarTests {
    /// The layout of `unicode-scalars.json` (see `unicode_fixture` in `Scripts/parity/text.py`).
    struct File: Decodable {
        let removed: [[UInt32]]
        let spaced: [[UInt32]]
        let mapped: [UInt32: String]
        let whitespace: [[UInt32]]
        let punctuation: [[UInt32]]

        enum CodingKeys: String, CodingKey { case removed, spaced, mapped, whitespace, punctuation }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            removed = try container.decode([[UInt32]].self, forKey: .removed)
            spaced = try container.decode([[UInt32]].self, forKey: .spaced)
            whitespace = try container.decode([[UInt32]].self, forKey: .whitespace)
            punctuation = try container.decode([[UInt32]].self, forKey: .punctuation)
            var flat = try container.nestedUnkeyedContainer(forKey: .mapped)
            var mapped: [UInt32: String] = [:]
            while !flat.isAtEnd {
                let scalar = try flat.decode(UInt32.self)
                mapped[scalar] = try flat.decode(String.self)
            }
            self.mapped = mapped
        }
    }

    static func set(_ ranges: [[UInt32]]) -> Set<UInt32> {
        Set(ranges.flatMap { $0[0]...$0[$0.count - 1] })
    }

    static var allScalars: [Unicode.Scalar] {
        (0..<0x11_0000).compactMap { Unicode.Scalar(UInt32($0)) }
    }

    @Test func normalizerMatchesHuggingFaceOnEveryScalar() throws {
        let file = try Fixtures.load("unicode-scalars.json", as: File.self)
        let removed = Self.set(file.removed)
        let spaced = Self.set(file.spaced)
        let normalizer = BertNormalizer()
        var mismatches: [String] = []
        var count = 0
        for scalar in Self.allScalars {
            let expected: [Unicode.Scalar]
            if removed.contains(scalar.value) {
                expected = []
            } else if spaced.contains(scalar.value) {
                expected = [" ", scalar, " "]
            } else if let mapping = file.mapped[scalar.value] {
                expected = Array(mapping.unicodeScalars)
            } else {
                expected = [scalar]
            }
            let actual = normalizer.normalize([scalar])
            if actual != expected {
                count += 1
                if mismatches.count < 400 {
                    let category = scalar.properties.generalCategory
                    mismatches.append(
                        "\(codePoints([scalar])) (\(category)): expected [\(codePoints(expected))], got [\(codePoints(actual))]")
                }
            }
        }
        #expect(count == 0, "\(count) scalars normalize differently:\n\(mismatches.joined(separator: "\n"))")
    }

    @Test func preTokenizerMatchesHuggingFaceOnEveryScalar() throws {
        let file = try Fixtures.load("unicode-scalars.json", as: File.self)
        let whitespace = Self.set(file.whitespace)
        let punctuation = Self.set(file.punctuation)
        let preTokenizer = BertPreTokenizer()
        var mismatches: [String] = []
        var count = 0
        for scalar in Self.allScalars {
            let expected: [[Unicode.Scalar]] =
                whitespace.contains(scalar.value)
                ? [["a"], ["a"]] : punctuation.contains(scalar.value) ? [["a"], [scalar], ["a"]] : [["a", scalar, "a"]]
            let actual = preTokenizer.words(["a", scalar, "a"])
            if actual != expected {
                count += 1
                if mismatches.count < 400 {
                    mismatches.append(
                        "\(codePoints([scalar])) (\(scalar.properties.generalCategory)): expected \(expected.count) words, got \(actual.count)"
                    )
                }
            }
        }
        #expect(count == 0, "\(count) scalars pre-tokenize differently:\n\(mismatches.joined(separator: "\n"))")
    }
}
