import Foundation
import LoupeModels

/// `{embed} prompts`: sentences written in the cell, one per line, embedded by the text encoder
/// and kept for later cells.
struct EmbedDirective: Directive {
    static let name = "embed"
    static let summary =
        "Embeds the sentences in the cell's body (one per line) with the text encoder and defines them for later cells; lists each with its nearest other sentence."
    static let argument = ArgumentSpec.requiredName(.texts)
    static let example = """
        ```{embed} pets
        a dog sitting on a bench
        a puppy playing in the grass
        a cat asleep on a sofa
        a tax form on a desk
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The text encoder, from the store (`loupe models list`).")
        var encoder = ModelStore.defaultTextModel
        @CellOption(help: "Whether to list the sentences in the report.")
        var show = true
    }

    private let cellName: String
    private let sentences: [String]
    private let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        cellName = cell.name ?? ""
        sentences = cell.body.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        options = cell.options
        guard !sentences.isEmpty else {
            throw CellError.invalid("'{embed}' needs sentences in the cell's body, one per line")
        }
    }

    /// The encoder's pinned weights identify its vectors.
    func cacheKeyMaterial() throws -> [String] {
        let entry = try ModelStore.entry(named: options.encoder)
        return ["text model \(entry.name) sha256 \(entry.sha256)"]
    }

    func run(_ context: CellContext) throws -> CellRun {
        let embedder = try TextEmbedder(named: options.encoder, progress: context.log)
        let embedding = try embedder.embed(sentences)
        let cosines = embedding.cosines(with: embedding)
        let rows = sentences.indices.map { i -> [String] in
            let others = sentences.indices.filter { $0 != i }
            guard let nearest = others.max(by: { cosines[i][$0] < cosines[i][$1] }) else { return [String(i + 1), sentences[i], "", ""] }
            return [
                String(i + 1), sentences[i] + (embedding.truncated.contains(i) ? " (cut to 256 tokens)" : ""), sentences[nearest],
                String(format: "%.3f", cosines[i][nearest]),
            ]
        }
        let table = Table(
            caption:
                "Sentences '\(cellName)', embedded by \(embedder.name) (\(embedder.dimension)-dimensional unit vectors); the nearest other sentence by cosine",
            columns: ["#", "Sentence", "Nearest", "Cosine"], rows: rows)
        return CellRun(
            outputs: options.show ? [.table(table)] : [], value: TextList(texts: sentences, source: "\(sentences.count) sentences"),
            provenance: CellProvenance(models: [Provenance.Model(name: embedder.name, sha256: embedder.sha256)]))
    }
}
