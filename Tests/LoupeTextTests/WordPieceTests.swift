import Testing

@testable import LoupeText

/// Greedy longest-match-first WordPiece on small vocabularies with known answers.
@Suite struct WordPieceTests {
    @Test func greedyLongestMatchFirst() throws {
        // ids: 5 un, 6 una, 7 ##ff, 8 ##ffa, 9 ##ble, 10 ##a, 11 ##b
        let model = WordPiece(vocabulary: try smallVocabulary(["un", "una", "##ff", "##ffa", "##ble", "##a", "##b"]))
        #expect(model.ids(scalars("unaffable")) == [6, 8, 9])
        #expect(model.pieces("unaffable") == ["una", "##ffa", "##ble"])
        #expect(model.pieces("un") == ["un"])
        #expect(model.pieces("unab") == ["una", "##b"])
    }

    @Test func anUnmatchedRemainderMakesTheWholeWordUnknown() throws {
        let model = WordPiece(vocabulary: try smallVocabulary(["ba", "##na", "na"]))
        #expect(model.pieces("banana") == ["ba", "##na", "##na"])
        #expect(model.pieces("bananas") == ["[UNK]"])
        // The first piece comes from word-initial tokens, the rest from "##" tokens.
        #expect(model.pieces("nanana") == ["na", "##na", "##na"])
        #expect(model.pieces("naba") == ["[UNK]"])
        #expect(model.pieces("xba") == ["[UNK]"])
        #expect(model.ids(scalars("x")) == [1])
    }

    @Test func greedyDoesNotBacktrack() throws {
        // "abc" could be "a" + "##bc", but greedy takes "ab" first and then finds no "##c".
        let model = WordPiece(vocabulary: try smallVocabulary(["a", "ab", "##bc"]))
        #expect(model.pieces("abc") == ["[UNK]"])
    }

    @Test func wordsLongerThanTheMaximumAreUnknown() throws {
        let model = WordPiece(vocabulary: try smallVocabulary(["a", "##a"]))
        #expect(model.ids(Array(repeating: "a", count: 100)).count == 100)
        #expect(model.pieces(String(repeating: "a", count: 101)) == ["[UNK]"])
        // The limit counts scalars: 50 two-scalar characters are 100 scalars, 51 are 102.
        let short = WordPiece(vocabulary: try smallVocabulary(["a", "##a", "##\u{300}"]), maximumWordLength: 100)
        #expect(short.ids(scalars(String(repeating: "a\u{300}", count: 50))).count == 100)
        #expect(short.pieces(String(repeating: "a\u{300}", count: 51)) == ["[UNK]"])
    }

    @Test func piecesAreMatchedByScalars() throws {
        // A precomposed token does not match its decomposed spelling, as in Hugging Face.
        let model = WordPiece(vocabulary: try smallVocabulary(["\u{E9}", "e", "##\u{301}"]))
        #expect(model.ids(["\u{E9}"]) == [5])
        #expect(model.ids(["e", "\u{301}"]) == [6, 7])
    }

    @Test func realVocabulary() throws {
        let model = WordPiece(vocabulary: try Fixtures.vocabulary.get())
        #expect(model.pieces("unaffable") == ["una", "##ffa", "##ble"])
        #expect(model.pieces("hello") == ["hello"])
        #expect(model.ids(scalars("hello")) == [7592])
    }
}
