import Foundation
import Testing

@testable import LoupeModels

/// The built-in concept vocabularies from their PyPI wheels, text-file vocabularies, and the
/// word-list reader on bad input.
@Suite struct ConceptVocabularyTests {
    @Test func imagenetHasEveryClassWithItsWordNetIDAndGloss() throws {
        let vocabulary = try ConceptVocabulary.load("imagenet")
        #expect(vocabulary.concepts.count == 1000)
        let shepherd = vocabulary.concepts[235]
        #expect(shepherd.text == "German shepherd")
        #expect(shepherd.identifier == "n02106662")
        #expect(shepherd.gloss == "breed of large shepherd dogs used in police work and as a guide for the blind")
        #expect(vocabulary.concepts[0].identifier == "n01440764" && vocabulary.concepts[0].text == "tench")
        #expect(vocabulary.concepts.allSatisfy { $0.gloss?.isEmpty == false }, "every class has a definition")
        #expect(vocabulary.source.contains("timm==1.0.15"))
    }

    @Test func english20kIsFrequentWordsWithoutStopWords() throws {
        let vocabulary = try ConceptVocabulary.load("english-20k")
        #expect(vocabulary.concepts.count == 20_000)
        let texts = vocabulary.texts
        #expect(Set(texts).count == texts.count)
        for word in ["dog", "water", "red", "house", "striped"] { #expect(texts.contains(word), "\(word)") }
        for word in ["the", "and", "of", "don't", "00"] { #expect(!texts.contains(word), "\(word)") }
        #expect(texts.allSatisfy(ConceptVocabulary.isWord))
        // Frequency order: common words come first.
        #expect(try #require(texts.firstIndex(of: "time")) < (try #require(texts.firstIndex(of: "striped"))))
    }

    @Test func aTextFileIsOneConceptPerLineAndBadFilesAreNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-vocab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ name: String, _ data: Data) -> String {
            let url = folder.appendingPathComponent(name)
            _ = FileManager.default.createFile(atPath: url.path, contents: data)
            return url.path
        }
        let good = try ConceptVocabulary.load(write("good.txt", Data("striped fur\r\na red car\nwater\n".utf8)))
        #expect(good.texts == ["striped fur", "a red car", "water"])
        #expect(good.name == "good.txt")
        let blank = write("blank.txt", Data("dog\n\ncat\n".utf8))
        #expect(throws: ModelError.invalidVocabulary(file: blank, reason: "line 2 is blank; write one concept per line")) {
            try ConceptVocabulary.load(blank)
        }
        let repeated = write("repeated.txt", Data("dog\ncat\ndog\n".utf8))
        #expect(throws: ModelError.invalidVocabulary(file: repeated, reason: "line 3 repeats line 1, 'dog'")) {
            try ConceptVocabulary.load(repeated)
        }
        let binary = write("binary.txt", Data([0x64, 0x6f, 0xff, 0xfe]))
        #expect(throws: ModelError.invalidVocabulary(file: binary, reason: "it is not valid UTF-8 text")) {
            try ConceptVocabulary.load(binary)
        }
        do {
            _ = try ConceptVocabulary.load("imagenett")
            Issue.record("an unknown name must throw")
        } catch let ModelError.unknownVocabulary(name, builtIns, suggestions) {
            #expect(name == "imagenett")
            #expect(builtIns == ["imagenet", "english-20k"])
            #expect(suggestions.first == "imagenet")
        }
    }

    @Test func hostileWordListsAreRefusedNotBelieved() throws {
        func read(_ bytes: [UInt8]) throws -> MessagePackValue {
            var reader = MessagePackReader(bytes: bytes, file: "w.msgpack")
            return try reader.value(depth: 0)
        }
        #expect(try read([0x92, 0x01, 0xa1, 0x61]) == .array([.integer(1), .string("a")]))
        // An array claiming 4 billion elements in 5 bytes, a string past the end, endless nesting.
        #expect(throws: ModelError.self) { try read([0xdd, 0xff, 0xff, 0xff, 0xff]) }
        #expect(throws: ModelError.self) { try read([0xd9, 0x20, 0x61]) }
        #expect(throws: ModelError.self) { try read([UInt8](repeating: 0x91, count: 100) + [0x01]) }
        #expect(throws: ModelError.self) { try read([0xc1]) }
        #expect(throws: ModelError.self) { try Gzip.inflate(Data("not gzip".utf8), file: "w.gz") }
    }
}
