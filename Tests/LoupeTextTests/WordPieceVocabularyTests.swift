import Foundation
import Testing

@testable import LoupeText

/// Reading `vocab.txt`: ids are line numbers, and broken files give a ``TextError`` naming the
/// file and line.
@Suite struct WordPieceVocabularyTests {
    /// A fresh file in the temporary directory holding `data`.
    static func temporaryFile(_ name: String, _ data: Data) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("LoupeTextTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    static let specials = WordPieceVocabulary.requiredSpecialTokens.joined(separator: "\n")

    @Test func realVocabulary() throws {
        let vocabulary = try Fixtures.vocabulary.get()
        #expect(vocabulary.count == 30_522)
        #expect(vocabulary.padID == 0)
        #expect(vocabulary.unknownID == 100)
        #expect(vocabulary.classifierID == 101)
        #expect(vocabulary.separatorID == 102)
        #expect(vocabulary.maskID == 103)
        #expect(vocabulary.id(of: "the") == 1996)
        #expect(vocabulary.id(of: "##ing") == 2075)
        #expect(vocabulary.token(for: 7592) == "hello")
        #expect(vocabulary.token(for: 30_522) == nil)
        #expect(vocabulary.token(for: -1) == nil)
        #expect(vocabulary.id(of: "Hello") == nil)
    }

    @Test func idsAreLineNumbersAndLinesAreTrimmed() throws {
        let text = Self.specials + "\r\nhello  \n##lo\t\nworld\n"
        let vocabulary = try WordPieceVocabulary(data: Data(text.utf8), name: "crlf.txt")
        #expect(vocabulary.count == 8)
        #expect(vocabulary.id(of: "[MASK]") == 4)
        #expect(vocabulary.id(of: "hello") == 5)
        #expect(vocabulary.id(of: "##lo") == 6)
        #expect(vocabulary.id(of: "world") == 7)
        #expect(vocabulary.tokens.last == "world")
    }

    @Test func tokensAreComparedByScalarsNotCanonicalEquivalence() throws {
        // "é" precomposed and decomposed are two tokens for Hugging Face (it compares bytes).
        let vocabulary = try smallVocabulary(["\u{E9}", "e\u{301}", "\u{9CB}"])
        #expect(vocabulary.id(of: "\u{E9}") == 5)
        #expect(vocabulary.id(of: "e\u{301}") == 6)
        #expect(vocabulary.id(of: "\u{9C7}\u{9BE}") == nil)
    }

    @Test func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/loupe/vocab.txt")
        #expect(throws: TextError.unreadable(file: url.path, reason: "no such file")) { try WordPieceVocabulary(contentsOf: url) }
        #expect(
            TextError.unreadable(file: url.path, reason: "no such file").description
                == "/nonexistent/loupe/vocab.txt: cannot read the vocabulary: no such file")
    }

    @Test func directoryInsteadOfAFile() throws {
        let directory = try Self.temporaryFile("x", Data()).deletingLastPathComponent()
        #expect {
            try WordPieceVocabulary(contentsOf: directory)
        } throws: { error in
            guard case let .unreadable(file, _) = error as? TextError else { return false }
            return file == directory.path
        }
    }

    @Test func emptyFile() throws {
        let url = try Self.temporaryFile("vocab.txt", Data())
        #expect(throws: TextError.emptyVocabulary(file: url.path)) { try WordPieceVocabulary(contentsOf: url) }
        #expect(throws: TextError.emptyVocabulary(file: "blank")) { try WordPieceVocabulary(data: Data("\n \n\n".utf8), name: "blank") }
        #expect(
            TextError.emptyVocabulary(file: url.path).description.hasSuffix(
                "vocab.txt: the vocabulary is empty; expected one WordPiece token a line"))
    }

    @Test func invalidUTF8NamesTheLineAndByte() throws {
        // Line 7 is "ab" and a lone continuation byte; the line starts at byte 34 of the file.
        var data = Data((Self.specials + "\nok\n").utf8)
        #expect(data.count == 34)
        data += Data([0x61, 0x62, 0x80, 0x0A, 0x63])
        let url = try Self.temporaryFile("bad.txt", data)
        #expect(throws: TextError.invalidUTF8(file: url.path, line: 7, byteOffset: 36)) { try WordPieceVocabulary(contentsOf: url) }
        #expect(
            TextError.invalidUTF8(file: "bad.txt", line: 7, byteOffset: 36).description
                == "bad.txt:7: not valid UTF-8 (the bad bytes start at byte 36 of the file)")
        // A truncated multi-byte sequence and an overlong encoding are rejected too.
        #expect(throws: TextError.invalidUTF8(file: "cut", line: 1, byteOffset: 1)) {
            try WordPieceVocabulary(data: Data([0x61, 0xE4, 0xB8]), name: "cut")
        }
        #expect(throws: TextError.invalidUTF8(file: "overlong", line: 1, byteOffset: 0)) {
            try WordPieceVocabulary(data: Data([0xC0, 0xAF]), name: "overlong")
        }
    }

    @Test func duplicateTokenNamesBothLines() throws {
        let text = Self.specials + "\nhello\nworld\nhello\n"
        #expect(throws: TextError.duplicateToken(file: "dup.txt", token: "hello", firstLine: 6, secondLine: 8)) {
            try WordPieceVocabulary(data: Data(text.utf8), name: "dup.txt")
        }
        #expect(
            TextError.duplicateToken(file: "dup.txt", token: "hello", firstLine: 6, secondLine: 8).description
                == "dup.txt:8: the token \"hello\" is already on line 6; each token must appear once")
        // Trailing whitespace is trimmed before comparing, so "hello " repeats "hello".
        #expect(throws: TextError.duplicateToken(file: "dup.txt", token: "hello", firstLine: 6, secondLine: 7)) {
            try WordPieceVocabulary(data: Data((Self.specials + "\nhello\nhello \n").utf8), name: "dup.txt")
        }
        // Invisible scalars are spelled out in the message.
        #expect(
            TextError.duplicateToken(file: "v", token: "a\u{200B}", firstLine: 1, secondLine: 2).description
                == "v:2: the token \"a\\u{200B}\" is already on line 1; each token must appear once")
    }

    @Test func blankLine() throws {
        let text = Self.specials + "\nhello\n   \nworld\n"
        #expect(throws: TextError.blankLine(file: "blank.txt", line: 7)) {
            try WordPieceVocabulary(data: Data(text.utf8), name: "blank.txt")
        }
        #expect(
            TextError.blankLine(file: "blank.txt", line: 7).description
                == "blank.txt:7: the line is blank; every line of a WordPiece vocabulary must hold one token")
    }

    @Test func missingSpecialTokens() throws {
        #expect(throws: TextError.missingSpecialTokens(file: "words.txt", tokens: ["[PAD]", "[CLS]", "[MASK]"])) {
            try WordPieceVocabulary(data: Data("[UNK]\n[SEP]\nhello\n".utf8), name: "words.txt")
        }
        #expect(
            TextError.missingSpecialTokens(file: "words.txt", tokens: ["[PAD]", "[MASK]"]).description
                == "words.txt: the vocabulary lacks the special token(s) [PAD], [MASK], which a BERT tokenizer needs")
        // Special tokens are matched exactly: "[cls]" is not "[CLS]".
        #expect(throws: TextError.missingSpecialTokens(file: "lower", tokens: ["[CLS]"])) {
            try WordPieceVocabulary(tokens: ["[PAD]", "[UNK]", "[cls]", "[SEP]", "[MASK]"], name: "lower")
        }
    }
}
