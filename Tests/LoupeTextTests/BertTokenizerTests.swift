import Testing

@testable import LoupeText

/// The whole pipeline on the real vocabulary, with Hugging Face's ids.
@Suite struct BertTokenizerTests {
    @Test func sentences() throws {
        let tokenizer = try Fixtures.tokenizer()
        #expect(tokenizer.encode("Hello, world!").ids == [101, 7592, 1010, 2088, 999, 102])
        #expect(tokenizer.tokens("Hello, world!") == ["[CLS]", "hello", ",", "world", "!", "[SEP]"])
        #expect(tokenizer.encode("Ångström").ids == [101, 17076, 15687, 102])
        #expect(tokenizer.tokens("ΟΔΟΣ") == ["[CLS]", "ο", "##δ", "##ο", "##σ", "[SEP]"])
        #expect(tokenizer.tokens("我爱你") == ["[CLS]", "我", "[UNK]", "[UNK]", "[SEP]"])
        #expect(tokenizer.encode("👍🏽").ids == [101, 100, 102])
        #expect(tokenizer.tokens("a\u{0B}b") == ["[CLS]", "ab", "[SEP]"])
    }

    @Test func literalSpecialTokens() throws {
        let tokenizer = try Fixtures.tokenizer()
        #expect(tokenizer.encode("The [MASK] sat on the mat.").ids == [101, 1996, 103, 2938, 2006, 1996, 13523, 1012, 102])
        #expect(tokenizer.encode("a[CLS]b").ids == [101, 1037, 101, 1038, 102])
        #expect(tokenizer.encode("[mask]").ids == [101, 1031, 7308, 1033, 102])
    }

    @Test func emptyAndWhitespaceOnlyTextIsClsSep() throws {
        let tokenizer = try Fixtures.tokenizer()
        for text in ["", "   ", "\t\n\r", "\u{0}\u{200B}\u{FEFF}"] {
            #expect(tokenizer.encode(text) == TokenizedText(ids: [101, 102], untruncatedCount: 2), "\(codePoints(text.unicodeScalars))")
        }
    }

    @Test func truncationKeepsClsAndSepAndSaysSo() throws {
        let short = try Fixtures.tokenizer(maximumLength: 5)
        let cut = short.encode("the quick brown fox jumps")
        #expect(cut.ids == [101, 1996, 4248, 2829, 102])
        #expect(cut.isTruncated)
        #expect(cut.untruncatedCount == 7)
        let fits = short.encode("the quick brown")
        #expect(fits.ids == [101, 1996, 4248, 2829, 102])
        #expect(!fits.isTruncated)
        #expect(try Fixtures.tokenizer(maximumLength: 2).encode("hello").ids == [101, 102])

        let tokenizer = try Fixtures.tokenizer()
        #expect(tokenizer.maximumLength == 256)
        let exact = tokenizer.encode(String(repeating: "word ", count: 254))
        #expect(exact.count == 256 && !exact.isTruncated)
        let over = tokenizer.encode(String(repeating: "word ", count: 255))
        #expect(over.count == 256 && over.isTruncated && over.untruncatedCount == 257)
        #expect(over.ids.last == 102)
    }

    @Test func maximumLengthBelowTwoIsRejected() throws {
        let vocabulary = try Fixtures.vocabulary.get()
        #expect(throws: TextError.invalidMaximumLength(1)) { try BertTokenizer(vocabulary: vocabulary, maximumLength: 1) }
        #expect(
            TextError.invalidMaximumLength(1).description == "a maximum sequence length of 1 cannot hold [CLS] and [SEP]; use 2 or more")
    }
}
