/// CLIP's pre-tokenizer: cleaned text to words, as open_clip's regex finds them.
///
/// open_clip's pattern, with `regex.IGNORECASE`, is
/// `<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`;
/// `re.findall` tries the alternatives in that order at each position and skips a scalar none of
/// them matches. So a word is a special token, an apostrophe contraction, a run of letters, one
/// number, or a run of anything else but whitespace (`"it's 42!!"` → `it`, `'s`, `4`, `2`, `!!`).
/// The scanner here does the same by hand, with the `regex` module's classes
/// (``CLIPTables/scalarClass(_:)``) and its case-insensitive matching of the literals, where
/// `ſ` (U+017F) matches `s`, `K` (U+212A) `k` and `İ` (U+0130) `i`.
public struct CLIPPreTokenizer: Sendable {
    /// The literal alternatives, in the pattern's order.
    static let literals: [[Unicode.Scalar]] = ["<start_of_text>", "<end_of_text>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map {
        Array($0.unicodeScalars)
    }

    /// A pre-tokenizer; it has no settings.
    public init() {}

    /// The words of `text` (already cleaned), in order.
    public func words(_ text: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var index = 0
        while index < text.count {
            if let literal = Self.literals.first(where: { Self.matches($0, in: text, at: index) }) {
                words.append(text[index..<(index + literal.count)])
                index += literal.count
                continue
            }
            let kind = CLIPTables.scalarClass(text[index])
            switch kind {
            case .letter, .other:
                var end = index + 1
                while end < text.count, CLIPTables.scalarClass(text[end]) == kind { end += 1 }
                words.append(text[index..<end])
                index = end
            case .number:
                words.append(text[index...index])
                index += 1
            case .space, .dropped:
                index += 1
            }
        }
        return words
    }

    /// Whether `literal` matches `text` at `start`, ignoring case as `regex` does.
    static func matches(_ literal: [Unicode.Scalar], in text: [Unicode.Scalar], at start: Int) -> Bool {
        guard start + literal.count <= text.count else { return false }
        for (offset, expected) in literal.enumerated() {
            let scalar = text[start + offset]
            guard scalar == expected || caseVariants(of: expected).contains(scalar) else { return false }
        }
        return true
    }

    /// The scalars other than `scalar` itself that `regex`'s IGNORECASE matches to it (ASCII only).
    private static func caseVariants(of scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        switch scalar {
        case "a"..."z":
            let upper = Unicode.Scalar(scalar.value - 0x20) ?? scalar
            switch scalar {
            case "i": return [upper, "\u{130}"]
            case "k": return [upper, "\u{212A}"]
            case "s": return [upper, "\u{17F}"]
            default: return [upper]
            }
        default:
            return []
        }
    }
}
