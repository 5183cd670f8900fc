import Foundation
import Testing

/// `loupe embed` and `loupe concepts` end to end, with the real text encoder from the store the
/// other text tests use (so nothing is fetched twice).
@Suite struct TextCommandTests {
    /// The store the library tests install into (the user's `LOUPE_HOME`, or Loupe's default).
    static let home: URL = {
        if let home = ProcessInfo.processInfo.environment["LOUPE_HOME"] { return URL(fileURLWithPath: home) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/loupe")
    }()

    struct Embedded: Decodable {
        let dimension: Int
        let texts: [String]
        let embeddings: [[Float]]
    }

    @Test func embedPrintsUnitVectorsAndTheirCosines() throws {
        let run = try runLoupe(["embed", "a striped cat", "a tabby cat", "a red car", "--json"], home: Self.home)
        #expect(run.status == 0, "\(run.errors)")
        let result = try JSONDecoder().decode(Embedded.self, from: Data(run.output.utf8))
        #expect(result.dimension == 384)
        #expect(result.texts == ["a striped cat", "a tabby cat", "a red car"])
        #expect(result.embeddings.count == 3)
        for vector in result.embeddings {
            #expect(vector.count == 384)
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-4)
        }
        func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        // Two cats are closer to each other than either is to a car.
        #expect(cosine(result.embeddings[0], result.embeddings[1]) > cosine(result.embeddings[0], result.embeddings[2]) + 0.1)

        let table = try runLoupe(["embed", "a striped cat", "a tabby cat"], home: Self.home)
        #expect(table.status == 0)
        let rows = table.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.count == 3)
        #expect(rows.dropFirst().allSatisfy { $0.contains("1.000") })
    }

    @Test func embedWritesANumPyFileOfTheVectors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-embed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let texts = folder.appendingPathComponent("texts.txt"), npy = folder.appendingPathComponent("out.npy")
        try "one\ntwo\nthree\n".write(to: texts, atomically: true, encoding: .utf8)
        let run = try runLoupe(["embed", "--file", texts.path, "--npy", npy.path], home: Self.home)
        #expect(run.status == 0, "\(run.errors)")
        let data = try Data(contentsOf: npy)
        // The header names float32 and the shape; the payload is 3 × 384 floats after it.
        let header = String(decoding: data.prefix(128), as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("(3, 384)"))
        #expect(data.count % 64 == (3 * 384 * 4) % 64)
    }

    @Test func badInputNamesTheFileOrTheName() throws {
        let missing = try runLoupe(["embed", "--file", "/nonexistent/texts.txt"], home: Self.home)
        #expect(missing.status == 2)
        #expect(missing.errors == "loupe: /nonexistent/texts.txt: no such file\n")

        let vocabulary = try runLoupe(["concepts", "show", "imagenett"], home: Self.home)
        #expect(vocabulary.status == 2)
        #expect(vocabulary.errors.contains("no vocabulary named \"imagenett\""))
        #expect(vocabulary.errors.contains("imagenet"))

        let imageModel = try runLoupe(["embed", "--model", "efficientnet-lite0", "a cat"], home: Self.home)
        #expect(imageModel.status == 2)
        #expect(imageModel.errors.contains("not a text encoder"))

        let nothing = try runLoupe(["embed"], home: Self.home)
        #expect(nothing.status != 0)
        #expect(nothing.errors.contains("no texts to embed"))
    }

    @Test func conceptsShowListsAVocabularyWithItsDefinitions() throws {
        let run = try runLoupe(["concepts", "show", "imagenet", "--limit", "2", "--gloss"], home: Self.home)
        #expect(run.status == 0, "\(run.errors)")
        let lines = run.output.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("tench: freshwater") == true)
        let list = try runLoupe(["concepts", "list"], home: Self.home)
        #expect(list.output.contains("imagenet") && list.output.contains("english-20k"))
    }
}
