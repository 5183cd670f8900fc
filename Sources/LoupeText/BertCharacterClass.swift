/// The character classes BERT's normalizer and pre-tokenizer test, as Hugging Face tokenizers
/// defines them.
///
/// Hugging Face works on Rust `char`s, which are Unicode scalars, and takes its classes from
/// three places: Rust's standard library (`char::is_whitespace`, `char::to_lowercase`), the
/// `unicode_categories` crate (the "other", punctuation and nonspacing-mark categories) and the
/// `unicode-normalization-alignments` crate (NFD). Swift's tables (``Unicode/Scalar/Properties``)
/// are one Unicode version; those crates are older ones. The differences are spelled out below, so
/// these classes follow Hugging Face, not the Swift toolchain; `UnicodeScalarTests` checks every
/// scalar against what `Scripts/parity/text.py` recorded from `tokenizers`.
enum BertCharacterClass {
    /// Whether BERT's text cleaning maps `scalar` to a space: tab, newline, carriage return and
    /// every scalar with the Unicode `White_Space` property (Rust's `char::is_whitespace`).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace
    }

    /// Whether BERT's text cleaning drops `scalar`: NUL, U+FFFD and the "other" categories (Cc,
    /// Cf, Co, Cs) of the `unicode_categories` crate, except tab, newline and carriage return.
    ///
    /// Unassigned scalars (Cn) are kept, and so are format scalars newer than the crate's tables
    /// (U+08E2, Unicode 9.0).
    static func isRemovedByCleaning(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0x00...0x1F, 0x7F, 0xFFFD: return true
        case 0x20...0x7E: return false
        default: break
        }
        switch crateCategory(scalar) {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// Whether `scalar` is a CJK ideograph, which BERT surrounds with spaces to make it a word.
    ///
    /// The ranges are the CJK Unified Ideographs block, extensions A–E and the compatibility
    /// ideographs. Kana and Hangul are not in these ranges and stay inside words.
    static func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x2_0000...0x2_A6DF, 0x2_A700...0x2_B73F, 0x2_B740...0x2_B81F,
            0x2_B920...0x2_CEAF, 0xF900...0xFAFF, 0x2_F800...0x2_FA1F:
            return true
        default:
            return false
        }
    }

    /// Whether stripping accents drops `scalar` after NFD: a nonspacing mark (Mn) in the
    /// `unicode_categories` crate's tables.
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x300 && crateCategory(scalar) == .nonspacingMark
    }

    /// Whether the pre-tokenizer makes `scalar` a word of its own: ASCII punctuation (which
    /// includes symbols such as `$`, `+`, `^` and `|`) or a scalar in the crate's punctuation
    /// categories (Pc, Pd, Ps, Pe, Pi, Pf, Po).
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            switch scalar.value {
            case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
            default: return false
            }
        }
        switch crateCategory(scalar) {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// Appends the lowercase of `scalar`, one or more scalars, with no context (Rust's
    /// `char::to_lowercase`): `Σ` is always `σ`, never the final `ς`, and `İ` is `i` + U+0307.
    ///
    /// Rust's tables are Unicode 16.0, so letters added later (U+A7CE, Unicode 17.0) stay as they are.
    static func lowercase(_ scalar: Unicode.Scalar, into result: inout [Unicode.Scalar]) {
        if scalar.isASCII {
            let value = scalar.value
            result.append((0x41...0x5A).contains(value) ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
        } else if isAssigned(scalar, byMajorVersion: 16) {
            result += scalar.properties.lowercaseMapping.unicodeScalars
        } else {
            result.append(scalar)
        }
    }

    /// Whether NFD may decompose `scalar` and reorder it among its neighbours: whether the
    /// `unicode-normalization-alignments` crate, whose tables are Unicode 9.0, knows it.
    ///
    /// A newer scalar is, for that crate, a starter with no decomposition: U+11938 (Unicode 13.0)
    /// stays whole, and U+08D3 (Unicode 11.0, combining class 220) is not moved before a class-230
    /// mark.
    static func isKnownToDecomposition(_ scalar: Unicode.Scalar) -> Bool {
        isAssigned(scalar, byMajorVersion: 9)
    }

    /// The general category of `scalar` in the `unicode_categories` crate, whose tables are
    /// Unicode 8.0; `nil` for scalars unassigned then.
    ///
    /// Swift's category is the current one; `unicode8Categories` lists the scalars whose category
    /// has changed since 8.0.
    static func crateCategory(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory? {
        guard isAssigned(scalar, byMajorVersion: 8) else { return nil }
        return unicode8Categories[scalar.value] ?? scalar.properties.generalCategory
    }

    /// Scalars assigned by Unicode 8.0 whose category has changed since, with their 8.0 category.
    private static let unicode8Categories: [UInt32: Unicode.GeneralCategory] = [
        0x166D: .otherPunctuation,  // CANADIAN SYLLABICS CHI SIGN, So since 12.0
        0x1734: .nonspacingMark,  // HANUNOO SIGN PAMUDPOD, Mc since 14.0
        0x1885: .otherLetter,  // MONGOLIAN LETTER ALI GALI BALUDA, Mn since 9.0
        0x1886: .otherLetter,  // MONGOLIAN LETTER ALI GALI THREE BALUDA, Mn since 9.0
        0xA9BD: .spacingMark,  // JAVANESE CONSONANT SIGN KERET, Mn since 12.0
        0x111C9: .otherPunctuation,  // SHARADA SANDHI MARK, Mn since 11.0
        0x1171E: .nonspacingMark,  // AHOM CONSONANT SIGN MEDIAL RA, Mc since 14.0
    ]

    /// Whether `scalar` was assigned in Unicode `major`.x or earlier.
    private static func isAssigned(_ scalar: Unicode.Scalar, byMajorVersion major: Int) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major <= major
    }
}
