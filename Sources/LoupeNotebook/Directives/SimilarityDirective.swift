import Foundation
import LoupeImage
import LoupeModels

/// `{similarity}`: how close the text encoder puts two lists of texts — a heatmap of cosines and
/// each row's nearest columns.
struct SimilarityDirective: Directive {
    static let name = "similarity"
    static let summary =
        "Cosine similarities between two lists of texts under the text encoder: each row's closest columns as a table, and the whole matrix as a heatmap when it is small enough to read."
    static let example = """
        ```{similarity}
        :rows: pets
        :columns: classes
        :top: 3
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The texts of the rows: an `{embed}` or `{concepts}` cell.")
        var rows: CellName<TextList>
        @CellOption(help: "The texts of the columns; the rows' own when unset.")
        var columns: CellName<TextList>?
        @CellOption(range: 1...50, help: "How many closest columns to list for each row.")
        var top = 3
        @CellOption(range: 1...1000, help: "List at most this many rows in the table.")
        var limit = 20
        @CellOption(help: "The text encoder, from the store (`loupe models list`).")
        var encoder = ModelStore.defaultTextModel
        @CellOption(help: "The heatmap's colour map.")
        var colormap = ColorMap.viridis
    }

    /// The largest matrix drawn as a heatmap (rows and columns).
    static let largestHeatmap = 64

    private let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
    }

    func cacheKeyMaterial() throws -> [String] {
        let entry = try ModelStore.entry(named: options.encoder)
        return ["text model \(entry.name) sha256 \(entry.sha256)"]
    }

    func run(_ context: CellContext) throws -> CellRun {
        let rows = try context.value(options.rows)
        let columns = try options.columns.map { try context.value($0) } ?? rows
        let embedder = try TextEmbedder(named: options.encoder, progress: context.log)
        let rowVectors = try embedder.embed(rows.texts)
        let columnVectors = options.columns == nil ? rowVectors : try embedder.embed(columns.texts)
        let cosines = rowVectors.cosines(with: columnVectors)
        let sameLists = options.columns == nil
        let described = "\(rows.source) against \(columns.source), \(embedder.name)"

        let tableRows = rows.texts.indices.prefix(options.limit).map { i -> [String] in
            let candidates = columns.texts.indices.filter { !(sameLists && $0 == i) }
            let best = candidates.sorted { cosines[i][$0] != cosines[i][$1] ? cosines[i][$0] > cosines[i][$1] : $0 < $1 }.prefix(
                options.top)
            return [rows.texts[i]] + best.map { "\(columns.texts[$0]) (\(String(format: "%.3f", cosines[i][$0])))" }
        }
        let table = Table(
            caption: "The \(options.top) closest of \(columns.texts.count) columns for each row, by cosine: \(described)"
                + (rows.texts.count > options.limit ? "; the first \(options.limit) of \(rows.texts.count) rows" : ""),
            columns: ["Row"] + (1...options.top).map { "\($0)." }, rows: tableRows)
        var outputs: [CellOutput] = [.table(table)]
        if rows.texts.count <= Self.largestHeatmap, columns.texts.count <= Self.largestHeatmap {
            outputs.append(
                .heatmap(
                    try HeatmapFigure.matrix(
                        cosines, rows: rows.texts, columns: columns.texts, colorMap: options.colormap,
                        title: "Cosine similarity, \(described)")))
        }
        return CellRun(
            outputs: outputs, provenance: CellProvenance(models: [Provenance.Model(name: embedder.name, sha256: embedder.sha256)]))
    }
}
