import Foundation
import LoupeText
import Testing

/// Loading the fixtures that `Scripts/parity/text.py tokens write` writes.
enum Fixtures {
    /// The URL of `Fixtures/<name>` in the test bundle.
    static func url(_ name: String) throws -> URL {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw FixtureMissing(name: "Fixtures")
        }
        let url = root.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw FixtureMissing(name: name) }
        return url
    }

    /// `Fixtures/<name>` decoded as JSON.
    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(name)))
    }

    /// all-MiniLM-L6-v2's `vocab.txt` (the `bert-base-uncased` vocabulary), read once.
    static let vocabulary: Result<WordPieceVocabulary, any Error> = Result { try WordPieceVocabulary(contentsOf: url("vocab.txt")) }

    /// A tokenizer over ``vocabulary`` with the default settings (maximum length 256).
    static func tokenizer(maximumLength: Int = BertTokenizer.defaultMaximumLength) throws -> BertTokenizer {
        try BertTokenizer(vocabulary: vocabulary.get(), maximumLength: maximumLength)
    }
}

struct FixtureMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "fixture \(name) not found; run Scripts/parity/text.py tokens write" }
}

/// A small vocabulary for hand-made cases: the five special tokens (ids 0–4) and then `tokens`.
func smallVocabulary(_ tokens: [String]) throws -> WordPieceVocabulary {
    try WordPieceVocabulary(tokens: WordPieceVocabulary.requiredSpecialTokens + tokens, name: "small")
}

/// `text`'s Unicode scalars.
func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

/// Code points in `U+0041` form, for messages.
func codePoints<S: Sequence<Unicode.Scalar>>(_ scalars: S) -> String {
    scalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ")
}
