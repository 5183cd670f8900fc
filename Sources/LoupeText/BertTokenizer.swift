import Foundation

/// BERT's tokenizer: text to token ids, as Hugging Face tokenizers does it for all-MiniLM-L6-v2
/// and `bert-base-uncased`.
///
/// The pipeline:
///
/// 1. Special tokens (`[CLS]`, `[MASK]`, …) are cut out of the raw text (``SpecialTokenSplitter``).
/// 2. Each stretch between them is normalized (``BertNormalizer``), split into words
///    (``BertPreTokenizer``) and each word into pieces (``WordPiece``).
/// 3. The ids are cut to ``maximumLength`` − 2 and framed as `[CLS] … [SEP]` (ids 101 and 102).
///
/// Tokenizing never fails: unknown words become `[UNK]`, and empty or whitespace-only text is
/// `[CLS] [SEP]`. sentence-transformers' default maximum for all-MiniLM-L6-v2 is 256 tokens
/// (`max_seq_length` in `sentence_bert_config.json`; the 128 in `tokenizer.json` is not used).
/// sentence-transformers also strips whitespace from both ends of each text first, which changes
/// no id, since BERT drops that whitespace anyway.
///
/// ```swift
/// let tokenizer = try BertTokenizer(vocabulary: WordPieceVocabulary(contentsOf: vocabURL))
/// tokenizer.encode("Hello, world!").ids   // [101, 7592, 1010, 2088, 999, 102]
/// ```
public struct BertTokenizer: Sendable {
    /// The default maximum sequence length, `[CLS]` and `[SEP]` included (sentence-transformers'
    /// `max_seq_length` for all-MiniLM-L6-v2).
    public static let defaultMaximumLength = 256

    /// The vocabulary.
    public var vocabulary: WordPieceVocabulary { wordPiece.vocabulary }
    /// The normalization applied between special tokens.
    public let normalizer: BertNormalizer
    /// The word splitting applied after normalization.
    public let preTokenizer: BertPreTokenizer
    /// The word-to-pieces model.
    public let wordPiece: WordPiece
    /// The finder of special tokens in raw text.
    public let specialTokens: SpecialTokenSplitter
    /// The most ids a text gets, `[CLS]` and `[SEP]` included.
    public let maximumLength: Int

    /// A tokenizer over `vocabulary`, configured as all-MiniLM-L6-v2's `tokenizer.json` by default.
    ///
    /// - Parameters:
    ///   - vocabulary: a BERT vocabulary.
    ///   - normalizer: the normalization (lowercasing, accent stripping, … by default).
    ///   - maximumWordLength: the longest word, in scalars, split into pieces rather than `[UNK]`.
    ///   - maximumLength: the most ids a text gets, `[CLS]` and `[SEP]` included.
    /// - Throws: ``TextError/invalidMaximumLength(_:)`` when `maximumLength` is below 2.
    public init(
        vocabulary: WordPieceVocabulary, normalizer: BertNormalizer = BertNormalizer(), maximumWordLength: Int = 100,
        maximumLength: Int = BertTokenizer.defaultMaximumLength
    ) throws(TextError) {
        guard maximumLength >= 2 else { throw .invalidMaximumLength(maximumLength) }
        self.normalizer = normalizer
        preTokenizer = BertPreTokenizer()
        wordPiece = WordPiece(vocabulary: vocabulary, maximumWordLength: maximumWordLength)
        specialTokens = SpecialTokenSplitter(vocabulary: vocabulary)
        self.maximumLength = maximumLength
    }

    /// The ids of `text`, framed by `[CLS]` and `[SEP]` and cut to ``maximumLength``.
    ///
    /// - Parameter text: any text.
    /// - Returns: the ids and whether they were truncated.
    public func encode(_ text: String) -> TokenizedText {
        let pieces = pieceIDs(text)
        let kept = pieces.prefix(maximumLength - 2)
        return TokenizedText(ids: [vocabulary.classifierID] + kept + [vocabulary.separatorID], untruncatedCount: pieces.count + 2)
    }

    /// The tokens of `text` as strings, `[CLS]` and `[SEP]` included, for reading and debugging.
    public func tokens(_ text: String) -> [String] {
        encode(text).ids.map { vocabulary.token(for: $0) ?? "?" }
    }

    /// The ids of `text` without `[CLS]`, `[SEP]` or truncation.
    public func pieceIDs(_ text: String) -> [Int] {
        var ids: [Int] = []
        for segment in specialTokens.segments(Array(text.unicodeScalars)) {
            switch segment {
            case let .special(id):
                ids.append(id)
            case let .text(scalars):
                for word in preTokenizer.words(normalizer.normalize(scalars)) {
                    ids += wordPiece.ids(word)
                }
            }
        }
        return ids
    }
}
