import Foundation

/// An error from loading a WordPiece vocabulary or CLIP's BPE merges, or configuring a tokenizer.
///
/// File errors name the file (or the name passed with the data) and the line, and say what
/// was expected and what was found. Tokenizing itself never fails: any text, however odd, becomes
/// ids (unknown words become `[UNK]` in BERT; CLIP's byte-level BPE has no unknown words).
public enum TextError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read from disk.
    case unreadable(file: String, reason: String)
    /// The file holds no tokens at all.
    case emptyVocabulary(file: String)
    /// A line is not valid UTF-8; `line` counts from 1 and `byteOffset` is from the start of the file.
    case invalidUTF8(file: String, line: Int, byteOffset: Int)
    /// A line holds nothing but whitespace, so it names no token (lines count from 1).
    case blankLine(file: String, line: Int)
    /// The same token is on two lines (counting from 1), so one of its ids would be lost.
    case duplicateToken(file: String, token: String, firstLine: Int, secondLine: Int)
    /// Tokens the tokenizer needs (`[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`) are not in the file.
    case missingSpecialTokens(file: String, tokens: [String])
    /// A maximum sequence length too short to hold `[CLS]` and `[SEP]`.
    case invalidMaximumLength(Int)
    /// A batch size below one.
    case invalidBatchSize(Int)
    /// A CLIP merges file with fewer merges than the vocabulary needs (a header line, then one merge a line).
    case tooFewMerges(file: String, found: Int, expected: Int)
    /// A line of a CLIP merges file (counting from 1, the header being line 1) that is not a merge.
    case invalidMerge(file: String, line: Int, reason: String)
    /// A compressed file (CLIP's `bpe_simple_vocab_16e6.txt.gz`) that is not valid gzip data.
    case invalidGzip(file: String, reason: String)
    /// A CLIP context length too short to hold `<start_of_text>` and `<end_of_text>`.
    case invalidContextLength(Int)

    /// The message shown to the user, naming the file and line where there is one.
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read the vocabulary: \(reason)"
        case let .emptyVocabulary(file):
            return "\(file): the vocabulary is empty; expected one WordPiece token a line"
        case let .invalidUTF8(file, line, byteOffset):
            return "\(file):\(line): not valid UTF-8 (the bad bytes start at byte \(byteOffset) of the file)"
        case let .blankLine(file, line):
            return "\(file):\(line): the line is blank; every line of a WordPiece vocabulary must hold one token"
        case let .duplicateToken(file, token, firstLine, secondLine):
            return "\(file):\(secondLine): the token \(Self.quoted(token)) is already on line \(firstLine); each token must appear once"
        case let .missingSpecialTokens(file, tokens):
            return "\(file): the vocabulary lacks the special token(s) \(tokens.joined(separator: ", ")), which a BERT tokenizer needs"
        case let .invalidMaximumLength(length):
            return "a maximum sequence length of \(length) cannot hold [CLS] and [SEP]; use 2 or more"
        case let .invalidBatchSize(size):
            return "a batch size of \(size) is not allowed; use 1 or more"
        case let .tooFewMerges(file, found, expected):
            return "\(file): \(found) BPE merges after the header line; CLIP's tokenizer needs the first \(expected)"
        case let .invalidMerge(file, line, reason):
            return "\(file):\(line): not a BPE merge: \(reason)"
        case let .invalidGzip(file, reason):
            return "\(file): not a gzip-compressed merges file: \(reason)"
        case let .invalidContextLength(length):
            return "a context length of \(length) cannot hold <start_of_text> and <end_of_text>; use 2 or more"
        }
    }

    /// The token in quotes, with invisible scalars spelled as `\u{…}` so the message shows them.
    private static func quoted(_ token: String) -> String {
        var text = "\""
        for scalar in token.unicodeScalars {
            let visible =
                scalar.properties.generalCategory != .control && scalar.properties.generalCategory != .format
                && !scalar.properties.isWhitespace
            text += visible || scalar == " " ? String(scalar) : "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        }
        return text + "\""
    }
}

extension TextError {
    /// The bytes of the file at `url`.
    ///
    /// - Throws: ``TextError/unreadable(file:reason:)`` naming the file: "no such file", or why it
    ///   cannot be read.
    public static func contents(of url: URL) throws(TextError) -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? error.localizedDescription : "no such file"
            throw .unreadable(file: url.path, reason: reason)
        }
    }
}
