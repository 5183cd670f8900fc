/// Finds special tokens such as `[MASK]` in raw text, before any normalization, as Hugging Face
/// tokenizers' added vocabulary does.
///
/// BERT's special tokens are "added tokens" that are not normalized: they are matched in the
/// text exactly as typed, case and all, anywhere (also inside a word: `"a[CLS]b"` holds `[CLS]`),
/// and a match becomes that token's id directly. Matching is leftmost-longest: the earliest match
/// wins, and of the matches starting there the longest. The text between matches is normalized,
/// pre-tokenized and split by WordPiece as usual, so `"[mask]"` is the three words `[`, `mask`, `]`.
public struct SpecialTokenSplitter: Sendable {
    /// One stretch of the raw text: ordinary text, or a special token's id.
    public enum Segment: Sendable, Equatable {
        /// Text to normalize and tokenize.
        case text([Unicode.Scalar])
        /// A special token found in the text.
        case special(id: Int)
    }

    /// The special tokens, as scalars, with their ids.
    private let patterns: [(scalars: [Unicode.Scalar], id: Int)]

    /// A splitter for the given tokens; empty tokens are ignored.
    ///
    /// - Parameter tokens: each special token and its id.
    public init(tokens: [(token: String, id: Int)]) {
        patterns = tokens.map { (Array($0.token.unicodeScalars), $0.id) }.filter { !$0.0.isEmpty }
    }

    /// A splitter for BERT's five special tokens, `[PAD]`, `[UNK]`, `[CLS]`, `[SEP]` and `[MASK]`,
    /// with their ids in `vocabulary`.
    public init(vocabulary: WordPieceVocabulary) {
        self.init(tokens: WordPieceVocabulary.requiredSpecialTokens.map { ($0, vocabulary.specialID($0)) })
    }

    /// The text cut at every special token, in order.
    ///
    /// Empty text yields no segment, and no `.text` segment is empty.
    ///
    /// - Parameter scalars: the raw text.
    /// - Returns: text stretches and special tokens, covering the whole text.
    public func segments(_ scalars: [Unicode.Scalar]) -> [Segment] {
        var segments: [Segment] = []
        var textStart = 0
        var position = 0
        while position < scalars.count {
            guard let match = longestMatch(in: scalars, at: position) else {
                position += 1
                continue
            }
            if textStart < position { segments.append(.text(Array(scalars[textStart..<position]))) }
            segments.append(.special(id: match.id))
            position += match.length
            textStart = position
        }
        if textStart < scalars.count { segments.append(.text(Array(scalars[textStart...]))) }
        return segments
    }

    /// The longest special token that starts at `position`, if any.
    private func longestMatch(in scalars: [Unicode.Scalar], at position: Int) -> (id: Int, length: Int)? {
        var best: (id: Int, length: Int)?
        for pattern in patterns where pattern.scalars.count > (best?.length ?? 0) {
            let end = position + pattern.scalars.count
            if end <= scalars.count && scalars[position..<end].elementsEqual(pattern.scalars) {
                best = (pattern.id, pattern.scalars.count)
            }
        }
        return best
    }
}
