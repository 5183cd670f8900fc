import Foundation

/// A WordPiece vocabulary: the tokens of a BERT `vocab.txt`, whose ids are their line numbers.
///
/// Line 1 of the file is id 0, line 2 id 1, and so on; continuation pieces carry the `##` prefix
/// (`##ing`). Trailing whitespace (including the `\r` of CRLF files) is trimmed from each line, as
/// Hugging Face's `WordPiece.read_file` does, and a final newline does not start a token.
///
/// Tokens are compared scalar by scalar, never by Swift's canonical string equality: Hugging Face
/// compares bytes, so `"\u{E9}"` (é) and `"e\u{301}"` are different tokens here too.
///
/// Loading is strict: a missing or unreadable file, invalid UTF-8, an empty file, a blank line, a
/// token that appears twice and a missing special token each throw a ``TextError`` naming the
/// file and line.
public struct WordPieceVocabulary: Sendable {
    /// The special tokens a BERT tokenizer needs, which must all be in the vocabulary.
    public static let requiredSpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    /// The tokens in id order: `tokens[id]`.
    public let tokens: [String]
    /// The file (or name) the vocabulary came from, for messages.
    public let name: String
    private let idsByScalars: [[Unicode.Scalar]: Int]
    /// The most Unicode scalars in any token.
    let longestTokenLength: Int

    /// Reads a `vocab.txt` file.
    ///
    /// - Parameter url: a local file with one token a line.
    /// - Throws: ``TextError/unreadable(file:reason:)`` when the file cannot be read, and the
    ///   errors of ``init(data:name:)``.
    public init(contentsOf url: URL) throws(TextError) {
        let data = try TextError.contents(of: url)
        try self.init(data: data, name: url.path)
    }

    /// Parses the bytes of a `vocab.txt` file.
    ///
    /// - Parameters:
    ///   - data: UTF-8 text, one token a line.
    ///   - name: the file name used in error messages.
    /// - Throws: ``TextError/invalidUTF8(file:line:byteOffset:)``, ``TextError/emptyVocabulary(file:)``,
    ///   ``TextError/blankLine(file:line:)``, ``TextError/duplicateToken(file:token:firstLine:secondLine:)``
    ///   or ``TextError/missingSpecialTokens(file:tokens:)``.
    public init(data: Data, name: String) throws(TextError) {
        let bytes = [UInt8](data)
        var lines: [String] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            guard let line = String(validating: bytes[start..<end], as: UTF8.self) else {
                let offset = Self.firstInvalidByte(in: bytes[start..<end])
                throw .invalidUTF8(file: name, line: lines.count + 1, byteOffset: offset)
            }
            lines.append(line)
            start = end + 1
        }
        try self.init(lines: lines, name: name)
    }

    /// A vocabulary from tokens in id order (line `i + 1` of a file is `tokens[i]`).
    ///
    /// - Parameters:
    ///   - tokens: the tokens; trailing whitespace is trimmed as it is for a file.
    ///   - name: the name used in error messages.
    /// - Throws: the same errors as ``init(data:name:)``, except for UTF-8.
    public init(tokens: [String], name: String = "vocabulary") throws(TextError) {
        try self.init(lines: tokens, name: name)
    }

    private init(lines: [String], name: String) throws(TextError) {
        guard !lines.isEmpty else { throw .emptyVocabulary(file: name) }
        var tokens: [String] = []
        var ids: [[Unicode.Scalar]: Int] = [:]
        var longest = 0
        tokens.reserveCapacity(lines.count)
        ids.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            var scalars = Array(line.unicodeScalars)
            while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
            guard !scalars.isEmpty else {
                if lines.allSatisfy({ $0.unicodeScalars.allSatisfy(\.properties.isWhitespace) }) {
                    throw .emptyVocabulary(file: name)
                }
                throw .blankLine(file: name, line: index + 1)
            }
            if let first = ids[scalars] {
                throw .duplicateToken(
                    file: name, token: String(String.UnicodeScalarView(scalars)), firstLine: first + 1, secondLine: index + 1)
            }
            ids[scalars] = index
            tokens.append(String(String.UnicodeScalarView(scalars)))
            longest = max(longest, scalars.count)
        }
        let missing = Self.requiredSpecialTokens.filter { ids[Array($0.unicodeScalars)] == nil }
        guard missing.isEmpty else { throw .missingSpecialTokens(file: name, tokens: missing) }
        self.tokens = tokens
        self.name = name
        idsByScalars = ids
        longestTokenLength = longest
    }

    /// The number of tokens (30,522 for `bert-base-uncased` and MiniLM).
    public var count: Int { tokens.count }

    /// The id of `token`, or `nil` when it is not in the vocabulary.
    public func id(of token: String) -> Int? {
        idsByScalars[Array(token.unicodeScalars)]
    }

    /// The id of the token spelled by `scalars`, or `nil`.
    func id(ofScalars scalars: [Unicode.Scalar]) -> Int? {
        idsByScalars[scalars]
    }

    /// The id of a special token the initializer checked is present.
    func specialID(_ token: String) -> Int {
        idsByScalars[Array(token.unicodeScalars)] ?? 0
    }

    /// The token with `id`, or `nil` when the id is out of range.
    public func token(for id: Int) -> String? {
        tokens.indices.contains(id) ? tokens[id] : nil
    }

    /// The id of `[PAD]` (0 in BERT vocabularies).
    public var padID: Int { specialID("[PAD]") }
    /// The id of `[UNK]` (100 in BERT vocabularies).
    public var unknownID: Int { specialID("[UNK]") }
    /// The id of `[CLS]` (101 in BERT vocabularies).
    public var classifierID: Int { specialID("[CLS]") }
    /// The id of `[SEP]` (102 in BERT vocabularies).
    public var separatorID: Int { specialID("[SEP]") }
    /// The id of `[MASK]` (103 in BERT vocabularies).
    public var maskID: Int { specialID("[MASK]") }

    /// The offset, within the whole file, of the first byte of `line` that does not decode.
    static func firstInvalidByte(in line: ArraySlice<UInt8>) -> Int {
        var decoder = UTF8()
        var iterator = line.makeIterator()
        var offset = line.startIndex
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar):
                offset += UTF8.width(scalar)
            case .emptyInput:
                return offset
            case .error:
                return offset
            }
        }
    }
}
