import Testing

@testable import LoupeText

/// Special tokens in raw text: exact, anywhere, leftmost-longest.
@Suite struct SpecialTokenSplitterTests {
    @Test func specialTokensAreCutOutOfRawText() throws {
        let splitter = SpecialTokenSplitter(vocabulary: try smallVocabulary([]))
        #expect(splitter.segments(scalars("a[CLS]b")) == [.text(["a"]), .special(id: 2), .text(["b"])])
        #expect(splitter.segments(scalars("[MASK]")) == [.special(id: 4)])
        #expect(splitter.segments(scalars("[PAD][UNK]")) == [.special(id: 0), .special(id: 1)])
        // Case matters: "[mask]" is ordinary text.
        #expect(splitter.segments(scalars("[mask]")) == [.text(scalars("[mask]"))])
        #expect(splitter.segments(scalars("[[MASK]]")) == [.text(["["]), .special(id: 4), .text(["]"])])
        #expect(splitter.segments([]) == [])
    }

    @Test func leftmostThenLongest() {
        let splitter = SpecialTokenSplitter(tokens: [("<a>", 1), ("<a><b>", 2), ("a><b", 3), ("", 4)])
        // The earliest match wins over a longer later one; at one start, the longest wins.
        #expect(splitter.segments(scalars("x<a><b>y")) == [.text(["x"]), .special(id: 2), .text(["y"])])
        #expect(splitter.segments(scalars("<a><b")) == [.special(id: 1), .text(scalars("<b"))])
        #expect(splitter.segments(scalars("<a>a><b")) == [.special(id: 1), .special(id: 3)])
        #expect(splitter.segments(scalars("<<a>")) == [.text(["<"]), .special(id: 1)])
    }
}
