import ArgumentParser
import Foundation
import LoupeModels
import LoupeTensor

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sentences to vectors with the text encoder (all-MiniLM-L6-v2), and how close they are.",
        discussion: """
            Texts come from the arguments, from --file (one per line; - for standard input), from a concept \
            vocabulary (--vocabulary imagenet, english-20k or a file), or from standard input. Vectors are unit \
            length, as SentenceTransformer(...).encode(..., normalize_embeddings=True) returns; a cosine is their \
            dot product. Vectors are kept in $LOUPE_HOME/embeddings, so embedding the same texts again is a file read.

            Examples:
              loupe embed "a dog on a bench" "a puppy sitting" "a tax form"
              loupe embed --vocabulary imagenet --gloss --npy imagenet.npy
              loupe embed --file captions.txt --json > vectors.json
            """)

    @Argument(help: "Texts to embed.")
    var texts: [String] = []

    @Option(help: ArgumentHelp("A file of texts, one per line (- for standard input).", valueName: "path"))
    var file: String?

    @Option(help: ArgumentHelp("A concept vocabulary: imagenet, english-20k, or a file of one concept per line.", valueName: "name"))
    var vocabulary: String?

    @Flag(help: "With --vocabulary: embed each concept with its definition (\"German shepherd: breed of …\").")
    var gloss = false

    @Option(help: "The text encoder, from the store.")
    var model = ModelStore.defaultTextModel

    @Flag(help: "Print the cosine of every pair (the default for up to 12 texts).")
    var similarity = false

    @Flag(help: "Print one JSON object: the texts, their vectors (and cosines with --similarity).")
    var json = false

    @Option(help: ArgumentHelp("Write the vectors as a float32 .npy of [texts, 384].", valueName: "path"))
    var npy: String?

    @Option(help: "Texts per forward pass.")
    var batch = 64

    @Flag(help: "Compute the vectors even when the cache holds them (and do not keep them).")
    var noCache = false

    func validate() throws {
        guard batch >= 1, batch <= 4096 else { throw ValidationError("--batch must be 1…4096, got \(batch)") }
        let sources = [!texts.isEmpty, file != nil, vocabulary != nil].filter { $0 }.count
        guard sources <= 1 else { throw ValidationError("give texts as arguments, --file or --vocabulary, not several") }
        if gloss, vocabulary == nil { throw ValidationError("--gloss goes with --vocabulary") }
    }

    func run() throws {
        do {
            let inputs = try readTexts()
            guard !inputs.isEmpty else {
                throw ValidationError("no texts to embed: give them as arguments, --file, --vocabulary or on standard input")
            }
            let embedder = try TextEmbedder(named: model) { FileHandle.standardError.write(Data("loupe: \($0)\n".utf8)) }
            let showProgress = inputs.count > 1000 && !json
            var lastReported = 0
            let embedding = try embedder.embed(inputs, batchSize: batch, cache: noCache ? nil : EmbeddingCache()) { done, total in
                guard showProgress, done - lastReported >= 2048 || done == total else { return }
                lastReported = done
                FileHandle.standardError.write(Data("loupe: embedded \(done)/\(total)\n".utf8))
            }
            if let npy {
                try AtomicFile.write(to: URL(fileURLWithPath: (npy as NSString).expandingTildeInPath)) { handle in
                    try NPY.write(rows: embedding.vectors, shape: [inputs.count, embedder.dimension], to: handle)
                }
            }
            for index in embedding.truncated {
                FileHandle.standardError.write(
                    Data("loupe: text \(index + 1) is longer than 256 tokens; its vector describes its beginning\n".utf8))
            }
            let cosines = similarity || (!json && npy == nil && inputs.count <= 12) ? embedding.cosines(with: embedding) : nil
            if json {
                var object: [String: Any] = [
                    "model": embedder.name, "dimension": embedder.dimension, "texts": inputs,
                    "embeddings": embedding.vectors.map { $0.map(Double.init) }, "truncated": embedding.truncated,
                    "cached": embedding.cached,
                ]
                if let cosines { object["similarity"] = cosines.map { $0.map(Double.init) } }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else if let cosines {
                printMatrix(inputs, cosines)
            } else {
                print(
                    "\(inputs.count) texts → \(inputs.count) × \(embedder.dimension) unit vectors (\(embedder.name)\(embedding.cached ? ", from the cache" : ""))"
                        + (npy.map { "; written to \($0)" } ?? "; use --npy or --json to keep them"))
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }

    private func readTexts() throws -> [String] {
        if !texts.isEmpty { return texts }
        if let vocabulary {
            let concepts = try ConceptVocabulary.load(vocabulary) { FileHandle.standardError.write(Data("loupe: \($0)\n".utf8)) }
            return gloss ? concepts.concepts.map(\.sentence) : concepts.texts
        }
        let data: Data
        if let file, file != "-" {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: (file as NSString).expandingTildeInPath))
            } catch {
                throw FileError(path: file, underlying: error)
            }
        } else if file == "-" || isatty(FileHandle.standardInput.fileDescriptor) == 0 {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            return []
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw FileError(path: file ?? "standard input", underlying: ValidationError("the text is not valid UTF-8"))
        }
        return text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// The cosines as a table, texts shortened to fit.
    private func printMatrix(_ texts: [String], _ cosines: [[Float]]) {
        let labels = texts.map { $0.count > 32 ? String($0.prefix(31)) + "…" : $0 }
        let width = labels.map(\.count).max() ?? 0
        print(String(repeating: " ", count: width + 2) + (1...texts.count).map { String(format: "%7d", $0) }.joined())
        for (row, label) in labels.enumerated() {
            let number = String(format: "%2d ", row + 1)
            print(
                number + label.padding(toLength: width, withPad: " ", startingAt: 0)
                    + cosines[row].map { String(format: "%7.3f", $0) }.joined())
        }
    }
}
