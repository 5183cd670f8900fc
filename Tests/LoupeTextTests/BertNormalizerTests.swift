import Testing

@testable import LoupeText

/// BERT normalization, step by step, on cases whose answers Hugging Face tokenizers gives.
@Suite struct BertNormalizerTests {
    let normalizer = BertNormalizer()

    @Test func cleaningDropsControlsAndMapsWhitespaceToSpaces() {
        #expect(normalizer.normalize("a\u{0}b\u{FFFD}c\u{7}d") == "abcd")
        #expect(normalizer.normalize("a\tb\nc\rd") == "a b c d")
        #expect(normalizer.normalize("a\u{A0}b\u{3000}c\u{2028}d") == "a b c d")
        // Vertical tab, form feed and NEL are controls first: dropped, not turned into spaces.
        #expect(normalizer.normalize("a\u{0B}b\u{0C}c\u{85}d") == "abcd")
        // Format (Cf) and private-use (Co) scalars are dropped; unassigned (Cn) ones are kept.
        #expect(
            normalizer.normalize("zero\u{200B}width soft\u{AD}hyphen \u{FEFF}bom \u{E000}pua \u{378}x")
                == "zerowidth softhyphen bom pua \u{378}x")
    }

    @Test func cjkIdeographsAreSurroundedBySpaces() {
        #expect(normalizer.normalize("我爱NLP") == " 我  爱 nlp")
        // Extension B and the compatibility ideographs are in the ranges.
        #expect(normalizer.normalize("\u{20000}\u{F900}") == " \u{20000}  \u{F900} ")
        // Kana are not (they stay inside words); dakuten are nonspacing marks and are stripped.
        #expect(normalizer.normalize("ひらがなカタカナ") == "ひらかなカタカナ")
        #expect(BertCharacterClass.isCJKIdeograph("\u{3042}") == false)
        #expect(BertCharacterClass.isCJKIdeograph("\u{9FFF}"))
        #expect(BertCharacterClass.isCJKIdeograph("\u{2B81F}"))
        #expect(BertCharacterClass.isCJKIdeograph("\u{2B820}") == false)  // the gap before extension E
    }

    @Test func hangulSyllablesDecomposeIntoJamo() {
        #expect(scalars(normalizer.normalize("한국")) == ["\u{1112}", "\u{1161}", "\u{11AB}", "\u{1100}", "\u{116E}", "\u{11A8}"])
    }

    @Test func accentsAreStripped() {
        #expect(normalizer.normalize("Ångström Dvořák café naïve") == "angstrom dvorak cafe naive")
        #expect(normalizer.normalize("Cafe\u{301} au LAIT") == "cafe au lait")
        // Canonical singletons decompose (Ångström sign, ohm, kelvin); compatibility forms do not.
        #expect(normalizer.normalize("\u{FB01} \u{212B} \u{2126} \u{212A}") == "\u{FB01} a ω k")
        // Only nonspacing marks go: a spacing mark (Mc) such as the Devanagari vowel sign AA stays.
        #expect(normalizer.normalize("\u{915}\u{93E}\u{901}") == "\u{915}\u{93E}")
    }

    @Test func lowercasingIsPerScalarWithoutContext() {
        // No final sigma: Σ is σ everywhere.
        #expect(normalizer.normalize("ΟΔΟΣ") == "οδοσ")
        #expect(normalizer.normalize("ẞ ǅ") == "ß ǆ")
        // İ: NFD gives I + U+0307, the mark is stripped, then I lowercases to i.
        #expect(normalizer.normalize("İ") == "i")
        // Without accent stripping, İ lowercases to i + U+0307 (Rust's char::to_lowercase).
        #expect(scalars(BertNormalizer(stripAccents: false).normalize("İ")) == ["i", "\u{307}"])
    }

    @Test func stripAccentsFollowsLowercaseWhenUnset() {
        #expect(BertNormalizer(lowercase: false) == BertNormalizer(stripAccents: false, lowercase: false))
        #expect(BertNormalizer(lowercase: false).normalize("Ångström 我") == "Ångström  我 ")
        #expect(BertNormalizer(stripAccents: false).normalize("Ångström") == "ångström")
        #expect(BertNormalizer(cleanText: false).normalize("a\u{0}\tb") == "a\u{0}\tb")
        #expect(BertNormalizer(handleChineseCharacters: false).normalize("我爱") == "我爱")
    }

    @Test func everyStepWorksOnScalarsNotCharacters() {
        // A ZWJ emoji sequence is one Character but five scalars; the ZWJs (Cf) are dropped.
        let family = "👨\u{200D}👩\u{200D}👧"
        #expect(family.count == 1)
        #expect(scalars(normalizer.normalize(family)) == ["👨", "👩", "👧"])
        // Skin-tone modifiers are symbols (Sk), kept; variation selectors are nonspacing marks, dropped.
        #expect(scalars(normalizer.normalize("👍🏽❤\u{FE0F}")) == ["👍", "🏽", "❤"])
    }

    @Test func unicodeVersionsAreHuggingFacesNotSwifts() {
        // Reordering: U+1E94A (class 7) moves before U+1DFB (class 230), both Unicode 9.0; U+08D3
        // (Unicode 11.0) is unknown to Hugging Face's NFD tables and does not move.
        #expect(scalars(normalizer.normalize("a\u{1DFB}\u{1E94A}")) == ["a", "\u{1E94A}", "\u{1DFB}"])
        #expect(scalars(normalizer.normalize("a\u{1DFB}\u{8D3}")) == ["a", "\u{1DFB}", "\u{8D3}"])
        // U+11938's decomposition (Unicode 13.0) is not applied.
        #expect(scalars(normalizer.normalize("\u{11938}")) == ["\u{11938}"])
        // Lowercasing knows Unicode 16.0 (U+1C89) but not 17.0 (U+A7CE).
        #expect(scalars(normalizer.normalize("\u{A7CE}\u{1C89}")) == ["\u{A7CE}", "\u{1C8A}"])
        // Categories are Unicode 8.0's: U+1734 was a nonspacing mark (dropped), U+08E2 (Cf since
        // 9.0) was unassigned (kept), U+1885 was a letter (kept).
        #expect(scalars(normalizer.normalize("\u{1734}\u{166D}\u{8E2}x\u{1885}")) == ["\u{166D}", "\u{8E2}", "x", "\u{1885}"])
        #expect(BertCharacterClass.isPunctuation("\u{166D}"))
        #expect(BertCharacterClass.isPunctuation("\u{2E43}") == false)  // Unicode 9.0
    }

    @Test func emptyAndWhitespaceOnlyText() {
        #expect(normalizer.normalize("") == "")
        #expect(normalizer.normalize("\u{0}\u{200B}\u{FEFF}") == "")
        #expect(normalizer.normalize(" \t\u{3000}") == "   ")
    }
}
