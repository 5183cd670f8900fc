import Foundation
import LoupeModels
import Testing

@testable import LoupeText

/// CLIPTokenizer against open_clip's `SimpleTokenizer` on the corpus of
/// `Scripts/parity/clip_tokenizer.py`, and on bad merges files.
///
/// The merges come from the store (`CLIPTokenizer.pretrained()`, the `open_clip_torch` wheel's
/// `bpe_simple_vocab_16e6.txt.gz`, fetched with pip on first use and checked by SHA-256).
@Suite struct CLIPTokenizerTests {
    /// One text of `clip_tokens.json` and open_clip's answers.
    struct Case: Decodable {
        let name: String
        let text: String
        /// `SimpleTokenizer.encode(text)`: no start or end token, not truncated.
        let ids: [Int]
        /// `SimpleTokenizer([text])[0]`: framed, truncated to 77, padded with 0.
        let row: [Int]
        /// Whether ftfy's `fix_encoding` (the mojibake repair) changes the text.
        let encodingFix: Bool

        enum CodingKeys: String, CodingKey {
            case name, text, ids, row
            case encodingFix = "encoding_fix"
        }
    }

    struct File: Decodable {
        let cases: [Case]
    }

    static let tokenizer = Result { try CLIPTokenizer.pretrained() }

    /// Every text of the corpus, mojibake included, gives open_clip's ids and rows.
    @Test func idsEqualOpenCLIPs() throws {
        let tokenizer = try Self.tokenizer.get()
        let cases = try Fixtures.load("clip_tokens.json", as: File.self).cases
        #expect(cases.count >= 560)
        let batch = tokenizer.encodeBatch(cases.map(\.text))
        var differing: [String] = []
        for (index, item) in cases.enumerated() {
            let ids = tokenizer.pieceIDs(item.text)
            guard ids != item.ids || batch.ids[index] != item.row else { continue }
            differing.append(item.name)
            let at = zip(ids, item.ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ids.count, item.ids.count)
            let window = max(0, at - 3)..<(at + 4)
            let tokens = { (ids: [Int]) in ids[window.clamped(to: ids.indices)].map { tokenizer.encoding.token(for: $0) ?? "?" } }
            Issue.record(
                "\(item.name) \(String(reflecting: String(item.text.prefix(60)))): first difference at \(at): open_clip \(tokens(item.ids)), Loupe \(tokens(ids))"
            )
        }
        #expect(differing.isEmpty, "\(differing.count) of \(cases.count) texts differ from open_clip")
        // The corpus exercises the mojibake repair: ftfy changes these texts.
        #expect(cases.filter(\.encodingFix).count >= 60)
        #expect(batch.ids.allSatisfy { $0.count == 77 })
        #expect(cases.contains { $0.ids.count + 2 > 77 })
    }

    /// The layout of `clip_scalar_sweep.json`: per block of 256 scalars, its first scalar, then the
    /// count and FNV-1a hash of the ids of the scalars separated by spaces, then of them side by side.
    struct Sweep: Decodable {
        let blocks: [[Sweep.Field]]

        enum Field: Decodable, Equatable {
            case number(Int)
            case text(String)

            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Int.self) {
                    self = .number(number)
                } else {
                    self = .text(try container.decode(String.self))
                }
            }
        }
    }

    /// FNV-1a (64-bit) over the ids, as `clip_tokenizer.py` computes it, in hexadecimal.
    static func hash(_ ids: [Int]) -> Sweep.Field {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for id in ids { hash = (hash ^ UInt64(id)) &* 0x100_0000_01B3 }
        let digits = String(hash, radix: 16)
        return .text(String(repeating: "0", count: 16 - digits.count) + digits)
    }

    /// Every scalar of planes 0–3 and 14, alone and side by side, gives open_clip's ids: the Python
    /// tables, the mojibake repair (blocks U+0000 and U+0100 are bad enough to be repaired) and
    /// Swift's cased and case-ignorable properties agree with Python's everywhere there.
    @Test func everyScalarGivesOpenCLIPsIDs() throws {
        let tokenizer = try Self.tokenizer.get()
        let blocks = try Fixtures.load("clip_scalar_sweep.json", as: Sweep.self).blocks
        #expect(blocks.count == 1272)
        var differing: [String] = []
        for block in blocks {
            guard case let .number(start) = block.first else { throw FixtureMissing(name: "clip_scalar_sweep.json blocks") }
            let scalars = (start..<(start + 256)).compactMap { Unicode.Scalar(UInt32($0)) }.map(String.init)
            let spaced = tokenizer.pieceIDs(scalars.joined(separator: " "))
            let joined = tokenizer.pieceIDs(scalars.joined())
            let ours: [Sweep.Field] = [.number(start), .number(spaced.count), Self.hash(spaced), .number(joined.count), Self.hash(joined)]
            if ours != block { differing.append("U+" + String(start, radix: 16, uppercase: true)) }
        }
        #expect(differing.isEmpty, "\(differing.count) blocks differ: \(differing.prefix(40))")
    }

    @Test func vocabularyIsOpenCLIPs() throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(tokenizer.encoding.count == 49_408)
        #expect(tokenizer.startID == 49_406)
        #expect(tokenizer.endID == 49_407)
        #expect(tokenizer.padID == 0)
        #expect(tokenizer.encoding.token(for: 0) == "!")
        #expect(tokenizer.encoding.token(for: 256) == "!</w>")
        #expect(tokenizer.encoding.token(for: 49_406) == "<start_of_text>")
        #expect(tokenizer.encoding.token(for: 49_408) == nil)
        #expect(tokenizer.encode("a photo of a cat").ids == [49_406, 320, 1125, 539, 320, 2368, 49_407])
        #expect(tokenizer.tokens("Hello") == ["<start_of_text>", "hello</w>", "<end_of_text>"])
    }

    /// Past 77 ids the text is cut after 75 of its pieces and the end token closes it, as
    /// open_clip does; the result says so.
    @Test func longTextsAreTruncatedWithTheEndTokenKept() throws {
        let tokenizer = try Self.tokenizer.get()
        let dog = try #require(tokenizer.pieceIDs("dog").first)
        for (words, truncated) in [(74, false), (75, false), (76, true), (200, true)] {
            let encoded = tokenizer.encode(Array(repeating: "dog", count: words).joined(separator: " "))
            #expect(encoded.ids.count == min(words + 2, 77))
            #expect(encoded.ids.first == 49_406 && encoded.ids.last == 49_407)
            #expect(encoded.ids.dropFirst().dropLast().allSatisfy { $0 == dog })
            #expect(encoded.isTruncated == truncated)
            #expect(encoded.untruncatedCount == words + 2)
        }
        let batch = tokenizer.encodeBatch(["a dog", Array(repeating: "dog", count: 100).joined(separator: " "), ""])
        #expect(batch.ids.map(\.count) == [77, 77, 77])
        #expect(batch.truncated == [false, true, false])
        #expect(batch.lengths == [4, 77, 2])
        #expect(batch.ids[2] == [49_406, 49_407] + Array(repeating: 0, count: 75))
        // The text tower pools where the reference's arg-max finds the end token.
        for (row, length) in zip(batch.ids, batch.lengths) {
            #expect(row.indices.max { row[$0] < row[$1] } == length - 1)
        }
        let short = try CLIPTokenizer(encoding: tokenizer.encoding, contextLength: 4)
        #expect(short.encode("a photo of a cat").ids == [49_406, 320, 1125, 49_407])
    }

    @Test func cleaningFollowsOpenCLIP() {
        let cleaner = CLIPTextCleaner()
        #expect(cleaner.clean("  Fish &amp;amp; Chips  ") == "fish & chips")
        #expect(cleaner.clean("caf&eacute; P&EACUTE;REZ &notit;") == "café pérez ¬it;")
        #expect(cleaner.clean("<b>P&EACUTE;REZ</b>") == "<b>p&eacute;rez</b>")
        #expect(cleaner.clean("\u{FF2C}\u{FF2F}\u{FF35}\u{FF24}\u{3000}\u{FB01}ne") == "loud fine")
        #expect(cleaner.clean("\u{201C}here\u{2019}s\u{201D}") == "\"here's\"")
        #expect(cleaner.clean("\u{39F}\u{394}\u{39F}\u{3A3} \u{3A3}") == "\u{3BF}\u{3B4}\u{3BF}\u{3C2} \u{3C3}")
        #expect(cleaner.clean("e\u{301}\u{1B}[1mX\u{1B}[0m\u{0}\u{93}") == "\u{E9}x\"")
        #expect(cleaner.clean("a\u{1C}b\u{85}c\t\n d") == "ab\u{2026}c d")
        // Mojibake, repaired as ftfy does it.
        #expect(cleaner.clean("caf\u{C3}\u{A9} \u{E2}\u{80}\u{9C}ok\u{E2}\u{80}\u{9D}") == "café \"ok\"")
        #expect(cleaner.clean("voil\u{C3} le travail") == "voilà le travail")
    }

    @Test func preTokenizerFollowsTheRegex() {
        let words = { (text: String) in CLIPPreTokenizer().words(Array(text.unicodeScalars)).map { String(String.UnicodeScalarView($0)) } }
        #expect(words("it's 42!! don't") == ["it", "'s", "4", "2", "!!", "don", "'t"])
        #expect(words("''s x<end_of_text>y") == ["''", "s", "x", "<end_of_text>", "y"])
        #expect(words("it'\u{17F}t a\u{345}b") == ["it", "'\u{17F}", "t", "a", "b"])
        #expect(words("<\u{17F}tart_of_text>") == ["<\u{17F}tart_of_text>"])
    }

    // MARK: - Bad merges files

    /// A merges file of the right size whose merges join pairs of byte symbols.
    static func syntheticMerges(lines: Int = CLIPBytePairEncoding.mergeCount, extra: [String] = []) -> Data {
        let symbols = CLIPBytePairEncoding.byteSymbols.map(String.init)
        var text = "#version: 0.2\n"
        for index in 0..<lines { text += "\(symbols[index / 256]) \(symbols[index % 256])\n" }
        return Data((text + extra.joined(separator: "\n")).utf8)
    }

    @Test func aFileOfTheRightShapeLoads() throws {
        let encoding = try CLIPBytePairEncoding(data: Self.syntheticMerges(), name: "synthetic")
        #expect(encoding.count == 49_408)
        #expect(encoding.ids(ArraySlice("!!!".unicodeScalars)) == [512, 256])
    }

    @Test func tooFewMergesAreAnErrorNamingTheFile() {
        #expect(throws: TextError.tooFewMerges(file: "short.txt", found: 100, expected: 48_894)) {
            try CLIPBytePairEncoding(data: Self.syntheticMerges(lines: 100), name: "short.txt")
        }
        #expect(throws: TextError.tooFewMerges(file: "empty.txt", found: 0, expected: 48_894)) {
            try CLIPBytePairEncoding(data: Data(), name: "empty.txt")
        }
    }

    @Test func malformedMergeLinesAreErrorsNamingTheLine() throws {
        var lines = String(decoding: Self.syntheticMerges(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        lines[10] = "a b c"
        #expect(throws: TextError.invalidMerge(file: "bad.txt", line: 11, reason: "expected two symbols separated by a space, found 3")) {
            try CLIPBytePairEncoding(data: Data(lines.joined(separator: "\n").utf8), name: "bad.txt")
        }
        lines[10] = lines[2]
        #expect(throws: TextError.self) {
            try CLIPBytePairEncoding(data: Data(lines.joined(separator: "\n").utf8), name: "bad.txt")
        }
        var bytes = [UInt8](Self.syntheticMerges())
        bytes[20] = 0xFF
        #expect(throws: TextError.invalidUTF8(file: "bad.txt", line: 3, byteOffset: 20)) {
            try CLIPBytePairEncoding(data: Data(bytes), name: "bad.txt")
        }
        #expect(throws: TextError.invalidContextLength(1)) {
            try CLIPTokenizer(merges: Self.syntheticMerges(), name: "synthetic", contextLength: 1)
        }
    }

    @Test func truncatedGzipIsAnErrorNamingTheFile() throws {
        _ = try Self.tokenizer.get()
        let url = ModelStore().home.appendingPathComponent("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz")
        let data = try Data(contentsOf: url)
        #expect(throws: TextError.invalidGzip(file: "cut.gz", reason: "truncated gzip data")) {
            try CLIPTokenizer(fileData: data.prefix(data.count / 2), name: "cut.gz")
        }
        var corrupt = data
        corrupt[100] ^= 0xFF
        corrupt[101] ^= 0xFF
        #expect(throws: TextError.self) { try CLIPTokenizer(fileData: corrupt, name: "corrupt.gz") }
        #expect(throws: TextError.unreadable(file: "/nonexistent/bpe.txt.gz", reason: "no such file")) {
            try CLIPTokenizer(contentsOf: URL(fileURLWithPath: "/nonexistent/bpe.txt.gz"))
        }
    }
}
