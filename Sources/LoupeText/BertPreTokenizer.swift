/// BERT's pre-tokenization: normalized text split into words, as Hugging Face tokenizers'
/// `BertPreTokenizer`.
///
/// Whitespace separates words and is dropped; each punctuation scalar becomes a word of its own
/// (`"you?!"` → `you`, `?`, `!`). Punctuation is ASCII punctuation (so `$`, `+`, `<`, `^`, `` ` ``,
/// `|` and `~` count, although Unicode calls them symbols) or a Unicode punctuation category
/// (`¿`, `«`, `—`, `…`, `“`, `、`, `。`). Everything else, including symbols such as `€`, `©`
/// and emoji, stays inside its word.
public struct BertPreTokenizer: Sendable, Equatable {
    /// The pre-tokenizer (it has no settings).
    public init() {}

    /// The words of `scalars`, in order; none is empty.
    ///
    /// - Parameter scalars: normalized text (see ``BertNormalizer``).
    /// - Returns: each word as its scalars.
    public func words(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if BertCharacterClass.isWhitespace(scalar) {
                if !current.isEmpty { words.append(current) }
                current = []
            } else if BertCharacterClass.isPunctuation(scalar) {
                if !current.isEmpty { words.append(current) }
                current = []
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// The words of `text` as strings.
    public func words(_ text: String) -> [String] {
        words(Array(text.unicodeScalars)).map { String(String.UnicodeScalarView($0)) }
    }
}
