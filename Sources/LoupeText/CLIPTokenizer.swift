import Foundation

/// CLIP's tokenizer: text to the ids of CLIP's text tower, as open_clip's `SimpleTokenizer`
/// (OpenAI's CLIP tokenizer) gives them.
///
/// The pipeline:
///
/// 1. The text is cleaned (``CLIPTextCleaner``): ftfy's fixes (all but the mojibake repair),
///    HTML references unescaped twice, whitespace collapsed, lower-cased as Python does.
/// 2. It is split into words by open_clip's regex (``CLIPPreTokenizer``); a literal
///    `<start_of_text>` or `<end_of_text>` becomes that token.
/// 3. Each word's UTF-8 bytes are merged by byte-level BPE (``CLIPBytePairEncoding``).
/// 4. The ids are framed as `<start_of_text> … <end_of_text>` (49406 … 49407) and, past the
///    context length (77), cut with the end token kept in the last place, as open_clip does;
///    ``TokenizedText/isTruncated`` says so. A batch pads every row with 0 to the context length.
///
/// The text tower pools at the end token, which the reference finds as the arg-max of the ids:
/// 49407 is the largest id, so it is ``TokenBatch/lengths``[row] − 1.
///
/// ```swift
/// let tokenizer = try CLIPTokenizer(merges: mergesText, name: "bpe_simple_vocab_16e6.txt")
/// tokenizer.encode("a photo of a cat").ids   // [49406, 320, 1125, 539, 320, 2368, 49407]
/// ```
public struct CLIPTokenizer: Sendable {
    /// The context length of every CLIP model: 77 tokens, start and end included.
    public static let defaultContextLength = 77

    /// The vocabulary and merges.
    public let encoding: CLIPBytePairEncoding
    /// The text cleaning.
    public let cleaner: CLIPTextCleaner
    /// The word splitting applied after cleaning.
    public let preTokenizer: CLIPPreTokenizer
    /// The most ids a text gets, start and end included.
    public let contextLength: Int

    /// A tokenizer over `encoding`.
    ///
    /// - Parameters:
    ///   - encoding: CLIP's vocabulary and merges.
    ///   - contextLength: the most ids a text gets, start and end included.
    /// - Throws: ``TextError/invalidContextLength(_:)`` when `contextLength` is below 2.
    public init(encoding: CLIPBytePairEncoding, contextLength: Int = CLIPTokenizer.defaultContextLength) throws(TextError) {
        guard contextLength >= 2 else { throw .invalidContextLength(contextLength) }
        self.encoding = encoding
        cleaner = CLIPTextCleaner()
        preTokenizer = CLIPPreTokenizer()
        self.contextLength = contextLength
    }

    /// A tokenizer over the text of `bpe_simple_vocab_16e6.txt` (decompressed).
    ///
    /// - Parameters:
    ///   - merges: the merges file's bytes.
    ///   - name: the file name used in error messages.
    ///   - contextLength: the most ids a text gets, start and end included.
    /// - Throws: the errors of ``CLIPBytePairEncoding/init(data:name:)`` and ``init(encoding:contextLength:)``.
    public init(merges: Data, name: String, contextLength: Int = CLIPTokenizer.defaultContextLength) throws(TextError) {
        try self.init(encoding: CLIPBytePairEncoding(data: merges, name: name), contextLength: contextLength)
    }

    /// The id of `<start_of_text>` (49406).
    public var startID: Int { encoding.startID }
    /// The id of `<end_of_text>` (49407).
    public var endID: Int { encoding.endID }
    /// The id padding fills rows with (0, as open_clip's zeros; it is also the token `!`).
    public var padID: Int { 0 }

    /// The ids of `text`, framed by the start and end tokens and cut to ``contextLength``.
    ///
    /// - Parameter text: any text.
    /// - Returns: the ids and whether they were truncated.
    public func encode(_ text: String) -> TokenizedText {
        let pieces = pieceIDs(text)
        return TokenizedText(ids: [startID] + pieces.prefix(contextLength - 2) + [endID], untruncatedCount: pieces.count + 2)
    }

    /// `texts` tokenized as one batch, every row padded with 0 to ``contextLength``:
    /// `[texts.count][contextLength]`, as open_clip's `tokenize` returns them.
    ///
    /// - Parameter texts: any texts.
    /// - Returns: the rows, with their lengths, attention masks and whether each was truncated.
    public func encodeBatch(_ texts: [String]) -> TokenBatch {
        TokenBatch(texts.map(encode), padID: padID, minimumLength: contextLength)
    }

    /// The ids of `text` without start, end or truncation: open_clip's `SimpleTokenizer.encode`.
    public func pieceIDs(_ text: String) -> [Int] {
        var ids: [Int] = []
        for word in preTokenizer.words(cleaner.clean(Array(text.unicodeScalars))) {
            if word.elementsEqual(CLIPPreTokenizer.literals[0]) {
                ids.append(startID)
            } else if word.elementsEqual(CLIPPreTokenizer.literals[1]) {
                ids.append(endID)
            } else {
                ids += encoding.ids(word)
            }
        }
        return ids
    }

    /// The tokens of `text` as strings, start and end included, for reading and debugging.
    public func tokens(_ text: String) -> [String] {
        encode(text).ids.map { encoding.token(for: $0) ?? "?" }
    }
}
