/// An error from loading a WordPiece vocabulary or configuring a tokenizer.
///
/// Vocabulary errors name the file (or the name passed with the data) and the line, and say what
/// was expected and what was found. Tokenizing itself never fails: any text, however odd, becomes
/// ids (unknown words become `[UNK]`).
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
