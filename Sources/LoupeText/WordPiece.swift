/// The WordPiece model: one word split into vocabulary pieces, greedily, longest first.
///
/// From the start of the word, the longest prefix that is a vocabulary token is the first piece;
/// from there on, the longest stretch whose `##`-prefixed form is a token is the next piece, and
/// so on (`"unaffable"` → `una`, `##ffa`, `##ble`). If at some point no stretch matches, or the
/// word has more than ``maximumWordLength`` scalars, the whole word is one `[UNK]`: WordPiece
/// never mixes pieces and `[UNK]` within a word. Lengths and stretches are counted in Unicode
/// scalars, as Hugging Face counts Rust `char`s.
///
/// See Wu et al., 2016, <https://arxiv.org/abs/1609.08144>, and Hugging Face tokenizers'
/// `models/wordpiece`.
public struct WordPiece: Sendable {
    /// The prefix that marks a piece continuing a word.
    public static let continuationPrefix: [Unicode.Scalar] = ["#", "#"]

    /// The vocabulary the pieces come from.
    public let vocabulary: WordPieceVocabulary
    /// Words with more scalars than this become `[UNK]` (100, `max_input_chars_per_word`).
    public let maximumWordLength: Int

    /// A model over `vocabulary`.
    ///
    /// - Parameters:
    ///   - vocabulary: the tokens and their ids.
    ///   - maximumWordLength: the longest word, in Unicode scalars, that is split into pieces.
    public init(vocabulary: WordPieceVocabulary, maximumWordLength: Int = 100) {
        self.vocabulary = vocabulary
        self.maximumWordLength = maximumWordLength
    }

    /// The ids of the pieces of `word`, or `[unknownID]`.
    ///
    /// - Parameter word: one word from ``BertPreTokenizer``, as scalars; it should not be empty.
    /// - Returns: at least one id.
    public func ids(_ word: [Unicode.Scalar]) -> [Int] {
        guard word.count <= maximumWordLength else { return [vocabulary.unknownID] }
        var ids: [Int] = []
        var start = 0
        while start < word.count {
            // No token has more than `longestTokenLength` scalars, so no longer stretch can match.
            var end = min(word.count, start + vocabulary.longestTokenLength)
            var found: Int?
            while end > start {
                let stretch = Array(word[start..<end])
                if let id = vocabulary.id(ofScalars: start == 0 ? stretch : Self.continuationPrefix + stretch) {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return [vocabulary.unknownID] }
            ids.append(id)
            start = end
        }
        return ids
    }

    /// The pieces of `word` as tokens (`["una", "##ffa", "##ble"]`).
    public func pieces(_ word: String) -> [String] {
        ids(Array(word.unicodeScalars)).compactMap { vocabulary.token(for: $0) }
    }
}
