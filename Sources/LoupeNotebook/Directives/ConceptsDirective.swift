import Foundation
import LoupeModels

/// `{concepts} words`: a concept vocabulary — ImageNet's classes, common English words, or a
/// file — for later cells to describe things with.
struct ConceptsDirective: Directive {
    static let name = "concepts"
    static let summary =
        "Loads a concept vocabulary (imagenet, english-20k, or a text file of one concept per line) for later cells, and lists its first concepts with its source and licence."
    static let argument = ArgumentSpec.requiredName(.texts)
    static let example = """
        ```{concepts} classes
        :vocabulary: imagenet
        :gloss: true
        ```
        """

    /// A built-in vocabulary's name, or a file relative to the notebook.
    struct Vocabulary: OptionValue {
        let written: String
        let url: URL?
        static var optionType: OptionType { .text }
        static var placeholder: Vocabulary { Vocabulary(written: "imagenet", url: nil) }
        init(written: String, url: URL?) {
            self.written = written
            self.url = url
        }
        init(optionText text: String, option: String, baseDirectory: URL) throws {
            let name = text.trimmingCharacters(in: .whitespaces)
            let builtIn = ConceptVocabulary.builtIns.contains { $0.name == name.lowercased() }
            written = name
            url = builtIn ? nil : OptionText.resolve(path: name, against: baseDirectory)
        }
        var optionText: String { written }
    }

    struct Options: DirectiveOptions {
        @CellOption(
            help:
                "`imagenet` (the 1000 classes with WordNet definitions), `english-20k` (frequent English words), or a text file of one concept per line, relative to the notebook."
        )
        var vocabulary: Vocabulary
        @CellOption(
            help: "Each concept with its definition (\"German shepherd: breed of large shepherd dogs …\"), where the vocabulary has one.")
        var gloss = false
        @CellOption(range: 0...1000, help: "How many concepts to list in the report.")
        var show = 10
    }

    private let cellName: String
    private let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        cellName = cell.name ?? ""
        options = cell.options
    }

    /// A file vocabulary's bytes are part of the cache key; a built-in is pinned by its package.
    func cacheKeyMaterial() throws -> [String] {
        guard let url = options.vocabulary.url else { return ["vocabulary \(options.vocabulary.written)"] }
        do {
            return ["vocabulary file sha256 \(try FileHasher.digest(contentsOf: url))"]
        } catch {
            throw CellError.unreadableFile(option: "vocabulary", path: options.vocabulary.written, reason: FileErrorReason.text(for: error))
        }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let vocabulary = try ConceptVocabulary.load(options.vocabulary.url?.path ?? options.vocabulary.written, progress: context.log)
        let texts = options.gloss ? vocabulary.concepts.map(\.sentence) : vocabulary.texts
        let rows = vocabulary.concepts.prefix(options.show).enumerated().map { index, concept in
            [String(index + 1), concept.text, concept.gloss ?? "", concept.identifier ?? ""]
        }
        let table = Table(
            caption: "Concepts '\(cellName)': \(vocabulary.concepts.count) from \(vocabulary.name) (\(vocabulary.source))"
                + (rows.count < vocabulary.concepts.count ? ", the first \(rows.count) shown" : ""),
            columns: ["#", "Concept", "Definition", "Identifier"], rows: rows)
        return CellRun(outputs: rows.isEmpty ? [] : [.table(table)], value: TextList(texts: texts, source: vocabulary.name))
    }
}
