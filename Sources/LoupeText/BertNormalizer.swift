import Foundation

/// BERT's text normalization, step for step as Hugging Face tokenizers' `BertNormalizer`.
///
/// Four steps run in order, on Unicode scalars (Rust `char`s), never on Swift `Character`s:
///
/// 1. **Clean**: drop NUL, U+FFFD and control, format and private-use scalars (but keep tab,
///    newline and carriage return); then turn every whitespace scalar into a space. Dropping comes
///    first, so vertical tab, form feed and U+0085, which are controls, vanish instead of becoming
///    spaces (`"a\u{0B}b"` is one word).
/// 2. **CJK**: put a space on both sides of each CJK ideograph, so each one becomes a word.
/// 3. **Strip accents**: decompose (NFD) and drop nonspacing marks: `"Ångström"` → `"Angstrom"`;
///    Hangul syllables become conjoining jamo.
/// 4. **Lowercase** each scalar without context, with Rust's Unicode 16.0 tables: `"ΟΔΟΣ"` →
///    `"οδοσ"` (no final sigma).
///
/// With all-MiniLM-L6-v2's configuration (`strip_accents: null`, `lowercase: true`) every step is
/// on; accents are stripped because lowercasing is on. The character classes are Hugging Face's
/// (see `BertCharacterClass`), not the Swift toolchain's, where their Unicode versions differ.
public struct BertNormalizer: Sendable, Equatable {
    /// Whether step 1 (cleaning) runs.
    public var cleanText: Bool
    /// Whether step 2 (spaces around CJK ideographs) runs.
    public var handleChineseCharacters: Bool
    /// Whether step 3 (NFD and dropping nonspacing marks) runs.
    public var stripAccents: Bool
    /// Whether step 4 (lowercasing) runs.
    public var lowercase: Bool

    /// A normalizer; the defaults are `bert-base-uncased`'s and all-MiniLM-L6-v2's.
    ///
    /// - Parameters:
    ///   - cleanText: drop controls and map whitespace to spaces.
    ///   - handleChineseCharacters: surround CJK ideographs with spaces.
    ///   - stripAccents: `nil` follows `lowercase`, as in Hugging Face's configuration files.
    ///   - lowercase: lowercase every scalar.
    public init(cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    /// The normalized text as Unicode scalars.
    ///
    /// - Parameter text: any text.
    /// - Returns: the scalars after the enabled steps.
    public func normalize<S: Sequence<Unicode.Scalar>>(_ text: S) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.underestimatedCount)
        for scalar in text {
            if cleanText {
                if BertCharacterClass.isRemovedByCleaning(scalar) { continue }
                if BertCharacterClass.isWhitespace(scalar) {
                    scalars.append(" ")
                    continue
                }
            }
            if handleChineseCharacters && BertCharacterClass.isCJKIdeograph(scalar) {
                scalars += [" ", scalar, " "]
            } else {
                scalars.append(scalar)
            }
        }
        if stripAccents {
            scalars = Self.canonicalDecomposition(scalars).filter { !BertCharacterClass.isNonspacingMark($0) }
        }
        if lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(scalars.count)
            for scalar in scalars { BertCharacterClass.lowercase(scalar, into: &lowered) }
            scalars = lowered
        }
        return scalars
    }

    /// The normalized text as a string.
    public func normalize(_ text: String) -> String {
        String(String.UnicodeScalarView(normalize(text.unicodeScalars)))
    }

    /// The canonical decomposition (NFD) of `scalars`, including canonical reordering of marks,
    /// with Hugging Face's Unicode 9.0 tables.
    ///
    /// Scalars newer than 9.0 are starters without a decomposition for those tables, so the text
    /// is decomposed piece by piece between them and they are kept as they are.
    private static func canonicalDecomposition(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard !scalars.allSatisfy({ $0.value < 0xC0 }) else { return scalars }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        var piece = String.UnicodeScalarView()
        func flush() {
            guard !piece.isEmpty else { return }
            result += String(piece).decomposedStringWithCanonicalMapping.unicodeScalars
            piece = String.UnicodeScalarView()
        }
        for scalar in scalars {
            if BertCharacterClass.isKnownToDecomposition(scalar) {
                piece.append(scalar)
            } else {
                flush()
                result.append(scalar)
            }
        }
        flush()
        return result
    }
}
