import Foundation

/// Renders a ``Report`` as a Jupyter notebook (`.ipynb`, nbformat 4.5) with its outputs filled in.
///
/// The notebook reads like the HTML report:
///
/// - a title cell (markdown): the title, authors and description;
/// - a prose block (``CellResult/isProseBlock``) becomes a markdown cell holding the prose HTML;
/// - a cell's ``CellResult/heading`` becomes a markdown `<h2>` cell before it;
/// - every other cell becomes a code cell whose source is the directive text, with
///   `execution_count` `null` and these outputs, in order:
///   - ``CellOutput/image(_:)``: `display_data` with `image/png` (base64, no line breaks) and
///     the caption as `text/plain`; ``CellOutput/images(_:caption:)`` gives one per image and
///     then the group caption as `text/plain`;
///   - ``CellOutput/table(_:)``: `display_data` with the report's table markup as `text/html`
///     (all text escaped) and an aligned plain-text table as `text/plain`;
///   - ``CellOutput/heatmap(_:)``: `display_data` of the map (`image/png`, caption and value
///     facts as `text/plain`), then one of the colour bar with its range; a heatmap that cannot
///     be encoded (libpng failed) gives an `error` output named `HeatmapError`;
///   - ``CellOutput/text(_:)``: a `stdout` `stream`;
///   - ``CellOutput/error(_:)`` and a ``CellResult/Status/failed(_:)`` status: an `error`
///     output named `CellFailed`, the message as `evalue` and as the one traceback line;
///   - ``CellOutput/prose(html:)`` (inside a directive cell): `display_data` with `text/html`;
///   - a ``CellResult/Status/skipped(_:)`` status: a `stderr` `stream` saying why;
/// - a last markdown cell with the provenance footer.
///
/// Cell ids are derived from ``CellResult/anchor`` (`cell-…`; headings add `-heading`), cut to
/// 64 characters and made unique with `-2`, `-3`…. Cell metadata carries Loupe's facts under
/// `loupe` (`id`, `status`, `cached`, `duration`); notebook metadata carries the title, authors,
/// `language_info` `{"name": "python"}` and the provenance under `loupe`. HTML is wrapped so
/// that Jupyter neither reads it as Markdown nor typesets `$` as TeX (see ``JupyterHTML``).
///
/// The JSON has sorted keys and the output depends only on the report: the same report always
/// gives the same bytes.
///
/// ### See Also
/// - ``HTMLRenderer``
public struct IPYNBRenderer: Sendable {
    /// A renderer.
    public init() {}

    /// The report as a Jupyter notebook: UTF-8 JSON, pretty-printed with sorted keys, ending in
    /// a newline.
    ///
    /// - Throws: ``NotebookError/notebookEncodingFailed(reason:)`` if the JSON encoder fails
    ///   (an internal error: every number written is finite).
    public func render(_ report: Report) throws -> Data {
        var ids = NotebookCellIDs()
        let titleID = ids.unique("title")
        let provenanceID = ids.unique("provenance")
        let cellIDs = report.cells.map { ids.unique($0.anchor) }

        var cells = [titleCell(report, id: titleID)]
        for (cell, id) in zip(report.cells, cellIDs) {
            if let heading = cell.heading {
                cells.append(markdownCell(html: "<h2>\(escapeHTML(heading))</h2>", id: ids.unique(id + "-heading")))
            }
            cells.append(notebookCell(for: cell, id: id))
        }
        cells.append(markdownCell(html: HTMLRenderer().renderProvenance(report.provenance), id: provenanceID))

        let notebook = NBFormat.Notebook(
            cells: cells,
            metadata: NBFormat.NotebookMetadata(
                title: report.title,
                authors: report.authors.map { NBFormat.NotebookMetadata.Author(name: $0) },
                languageInfo: .init(name: "python"),
                loupe: report.provenance
            )
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(notebook)
            data.append(UInt8(ascii: "\n"))
            return data
        } catch {
            throw NotebookError.notebookEncodingFailed(reason: String(describing: error))
        }
    }

    private func titleCell(_ report: Report, id: String) -> NBFormat.Cell {
        var html = "<h1>\(escapeHTML(report.title))</h1>"
        if !report.authors.isEmpty {
            html += "\n<p class=\"authors\">\(report.authors.map(escapeHTML).joined(separator: ", "))</p>"
        }
        if let description = report.description, !description.isEmpty {
            html += "\n<p class=\"description\">\(escapeHTML(description))</p>"
        }
        return markdownCell(html: html, id: id)
    }

    private func markdownCell(html: String, id: String, loupe: NBFormat.LoupeCellMetadata? = nil) -> NBFormat.Cell {
        NBFormat.Cell(id: id, kind: .markdown, source: JupyterHTML.markdownCell(html), metadata: .init(loupe: loupe))
    }

    private func notebookCell(for cell: CellResult, id: String) -> NBFormat.Cell {
        if cell.isProseBlock {
            var html: [String] = []
            for case let .prose(prose) in cell.outputs {
                html.append(prose)
            }
            return markdownCell(html: html.joined(separator: "\n"), id: id, loupe: .init(id: cell.id))
        }
        var outputs = cell.outputs.flatMap(notebookOutputs)
        let status: String
        switch cell.status {
        case .ok:
            status = "ok"
        case let .failed(message):
            status = "failed"
            outputs.append(.error(name: "CellFailed", value: message, traceback: [message]))
        case let .skipped(reason):
            status = "skipped"
            outputs.append(.stream(name: "stderr", text: Self.line("Skipped: \(reason)")))
        }
        let duration = cell.duration.flatMap { $0.isFinite ? $0 : nil }
        let loupe = NBFormat.LoupeCellMetadata(id: cell.id, status: status, cached: cell.cached, duration: duration)
        return NBFormat.Cell(id: id, kind: .code(outputs: outputs), source: cell.source, metadata: .init(loupe: loupe))
    }

    private func notebookOutputs(_ output: CellOutput) -> [NBFormat.Output] {
        switch output {
        case let .prose(html):
            return [.displayData(data: ["text/html": JupyterHTML.output(html)], metadata: [:])]
        case let .table(table):
            return [
                .displayData(
                    data: ["text/html": JupyterHTML.output(HTMLRenderer().renderTable(table)), "text/plain": Self.plainText(table)],
                    metadata: [:]
                )
            ]
        case let .image(image):
            return [Self.imageOutput(image.png, width: image.width, height: image.height, text: image.caption)]
        case let .images(images, caption):
            return images.map { Self.imageOutput($0.png, width: $0.width, height: $0.height, text: $0.caption) }
                + [.displayData(data: ["text/plain": caption], metadata: [:])]
        case let .heatmap(heatmap):
            return heatmapOutputs(heatmap)
        case let .chart(chart):
            return [.displayData(data: ["image/svg+xml": chart.svg(), "text/plain": "\(chart.caption)\n\(chart.summary)"], metadata: [:])]
        case let .text(text):
            return [.stream(name: "stdout", text: Self.line(text))]
        case let .error(message):
            return [.error(name: "CellFailed", value: message, traceback: [message])]
        }
    }

    private func heatmapOutputs(_ heatmap: HeatmapFigure) -> [NBFormat.Output] {
        let rendered: RenderedHeatmap
        do {
            rendered = try heatmap.rendered()
        } catch {
            let message = "Could not draw heatmap “\(heatmap.caption)”: \(error)"
            return [.error(name: "HeatmapError", value: message, traceback: [message])]
        }
        let facts = HTMLRenderer.heatmapFacts(heatmap, rendered: rendered)
        let barText = "colour bar, \(heatmap.colorMap.rawValue): \(rendered.lowerLabel) (left) to \(rendered.upperLabel) (right)"
        return [
            Self.imageOutput(rendered.map.png, width: heatmap.width, height: heatmap.height, text: "\(heatmap.caption) (\(facts))"),
            Self.imageOutput(rendered.colorBar, width: 256, height: 12, text: barText),
        ]
    }

    /// `display_data` of one PNG with a plain-text description.
    ///
    /// Images whose longer side is under 256 pixels are shown enlarged by a whole factor (a
    /// 16 × 16 heatmap at 256 × 256), as the HTML report enlarges them with CSS.
    private static func imageOutput(_ png: Data, width: Int, height: Int, text: String) -> NBFormat.Output {
        var metadata: [String: NBFormat.ImageSize] = [:]
        if width > 0, height > 0 {
            let scale = max(1, 256 / max(width, height))
            metadata["image/png"] = NBFormat.ImageSize(width: width * scale, height: height * scale)
        }
        return .displayData(data: ["image/png": png.base64EncodedString(), "text/plain": text], metadata: metadata)
    }

    /// `text` with a newline appended unless it already ends in one, so that consecutive streams
    /// do not run together.
    private static func line(_ text: String) -> String {
        text.hasSuffix("\n") ? text : text + "\n"
    }

    /// A table as aligned plain text: the caption, the header row, a rule and the rows, with
    /// columns padded to their widest cell and line breaks inside cells shown as spaces.
    static func plainText(_ table: Table) -> String {
        let clean = { (cell: String) in
            cell.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ")
        }
        let header = table.columns.map(clean)
        let rows = table.rows.map { $0.map(clean) }
        let columnCount = ([header.count] + rows.map(\.count)).max() ?? 0
        var widths = [Int](repeating: 0, count: columnCount)
        for row in [header] + rows {
            for (index, cell) in row.enumerated() {
                widths[index] = max(widths[index], cell.count)
            }
        }
        let format = { (row: [String]) -> String in
            let padded = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }
            return padded.joined(separator: "  ")
        }
        var lines = [clean(table.caption)]
        if !header.isEmpty {
            lines.append(format(header))
            lines.append(widths.prefix(header.count).map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        }
        lines += rows.map(format)
        return lines.joined(separator: "\n")
    }
}
