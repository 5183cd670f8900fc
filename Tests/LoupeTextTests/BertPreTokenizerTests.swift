import Testing

@testable import LoupeText

/// Splitting normalized text into words, with Hugging Face's answers.
@Suite struct BertPreTokenizerTests {
    let preTokenizer = BertPreTokenizer()

    @Test func whitespaceSeparatesAndPunctuationIsolates() {
        #expect(preTokenizer.words("Hey friend!     How are you?!?") == ["Hey", "friend", "!", "How", "are", "you", "?", "!", "?"])
        #expect(preTokenizer.words("x_y-z") == ["x", "_", "y", "-", "z"])
        #expect(preTokenizer.words("a\u{A0}b\u{3000}c\nd") == ["a", "b", "c", "d"])
    }

    @Test func unicodePunctuationAndASCIISymbols() {
        #expect(
            preTokenizer.words("¿qué? «oui» —no… “x” $5+3=8 a^b|c~d")
                == [
                    "¿", "qué", "?", "«", "oui", "»", "—", "no", "…", "“", "x", "”", "$", "5", "+", "3", "=", "8", "a", "^", "b", "|", "c",
                    "~", "d",
                ])
        #expect(preTokenizer.words("「かぎ」、。") == ["「", "かぎ", "」", "、", "。"])
    }

    @Test func symbolsAndEmojiStayInsideWords() {
        #expect(preTokenizer.words("e€f ©g 🙂h") == ["e€f", "©g", "🙂h"])
        #expect(BertCharacterClass.isPunctuation("€") == false)
        #expect(BertCharacterClass.isPunctuation("$"))
    }

    @Test func emptyAndWhitespaceOnly() {
        #expect(preTokenizer.words("") == [])
        #expect(preTokenizer.words("   \n\t") == [])
        #expect(preTokenizer.words(" a ") == ["a"])
    }
}
