import Foundation

/// Renders a ``Report`` as one self-contained HTML page.
///
/// The page has inline CSS only, images as `data:image/png;base64,…` URLs and no reference to
/// anything outside itself (no fonts, scripts or style sheets to fetch), and its
/// Content-Security-Policy (``contentSecurityPolicy``) makes the browser refuse any other fetch
/// should one slip in. It reads on a phone (viewport meta, a maximum width, images that shrink to
/// fit) and prints cleanly. All user text goes through ``escapeHTML(_:)``; only
/// ``CellOutput/prose(html:)`` is inserted as HTML.
///
/// The output depends only on the report: the same report always gives the same bytes.
public struct HTMLRenderer: Sendable {
    /// The page's Content-Security-Policy: nothing may load except `data:` images and the
    /// inline style sheet (no scripts, frames, fonts, connections or remote images).
    public static let contentSecurityPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

    /// A renderer.
    public init() {}

    /// The report as an HTML document (UTF-8 text).
    ///
    /// A heatmap that cannot be drawn (wrong value count, bad range) becomes an error box in its
    /// cell; the rest of the report still renders.
    public func render(_ report: Report) -> String {
        var anchors = HeadingAnchors()
        for cell in report.cells { anchors.reserve(cell.anchor) }
        var toc: [TOCEntry] = []
        var body = ""
        for cell in report.cells {
            body += renderCell(cell, anchors: &anchors, toc: &toc)
        }

        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(Self.contentSecurityPolicy)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="Loupe \(escapeHTML(report.provenance.loupeVersion))">
            <title>\(escapeHTML(report.title))</title>
            <style>
            \(Self.styleSheet)</style>
            </head>
            <body>
            <main>
            <header class="report-header">
            <h1 class="report-title">\(escapeHTML(report.title))</h1>

            """
        if !report.authors.isEmpty {
            html += "<p class=\"authors\">\(report.authors.map(escapeHTML).joined(separator: ", "))</p>\n"
        }
        if let description = report.description, !description.isEmpty {
            html += "<p class=\"description\">\(escapeHTML(description))</p>\n"
        }
        html += "</header>\n"
        html += renderTOC(toc)
        html += body
        html += renderProvenance(report.provenance)
        html += "</main>\n</body>\n</html>\n"
        return html
    }

    private func renderTOC(_ entries: [TOCEntry]) -> String {
        guard !entries.isEmpty else { return "" }
        var html = "<nav class=\"toc\" aria-label=\"Contents\">\n<h2 class=\"toc-title\">Contents</h2>\n<ul>\n"
        for entry in entries {
            html += "<li class=\"toc-l\(entry.level)\"><a href=\"#\(escapeHTML(entry.anchor))\">\(entry.html)</a></li>\n"
        }
        html += "</ul>\n</nav>\n"
        return html
    }

    private func renderCell(_ cell: CellResult, anchors: inout HeadingAnchors, toc: inout [TOCEntry]) -> String {
        let anchor = cell.anchor
        var statusClass = ""
        switch cell.status {
        case .ok: break
        case .failed: statusClass = " failed"
        case .skipped: statusClass = " skipped"
        }
        var html = "<section class=\"cell\(statusClass)\" id=\"\(anchor)\">\n"
        if let heading = cell.heading {
            html += "<h2 class=\"cell-heading\">\(escapeHTML(heading))</h2>\n"
            toc.append(TOCEntry(level: 2, html: escapeHTML(heading), anchor: anchor))
        }
        if !cell.isProseBlock {
            html += renderCellMeta(cell)
        }
        if !cell.source.isEmpty {
            html += "<details class=\"source\"><summary>Source</summary><pre><code>\(escapeHTML(cell.source))</code></pre></details>\n"
        }
        for output in cell.outputs {
            html += renderOutput(output, anchors: &anchors, toc: &toc)
        }
        switch cell.status {
        case .ok: break
        case let .failed(message):
            html += "<div class=\"error\" role=\"alert\"><strong>Cell failed:</strong> \(escapeHTML(message))</div>\n"
        case let .skipped(reason):
            html += "<p class=\"skipped-note\">Skipped: \(escapeHTML(reason))</p>\n"
        }
        html += "</section>\n"
        return html
    }

    /// The line under a directive cell's heading: its id, time, cache badge and status badge.
    private func renderCellMeta(_ cell: CellResult) -> String {
        var html = "<div class=\"cell-meta\"><span class=\"cell-id\">\(escapeHTML(cell.id))</span>"
        if let duration = cell.duration {
            html += " <span class=\"time\">\(Self.formatDuration(duration))</span>"
        }
        if cell.cached {
            html += " <span class=\"cached\" title=\"from cache\">cached</span>"
        }
        switch cell.status {
        case .ok: break
        case .failed: html += " <span class=\"badge failed\">failed</span>"
        case .skipped: html += " <span class=\"badge skipped\">skipped</span>"
        }
        return html + "</div>\n"
    }

    /// A duration as the report prints it: milliseconds below one second, else seconds.
    static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        if seconds < 1 { return String(format: "%.0f ms", seconds * 1000) }
        if seconds < 60 { return String(format: "%.2f s", seconds) }
        let whole = Int(seconds.rounded())
        return "\(whole / 60) min \(whole % 60) s"
    }

    /// The provenance footer: the Loupe version and tables of model and image hashes.
    func renderProvenance(_ provenance: Provenance) -> String {
        var html = "<footer class=\"provenance\">\n<h2>Provenance</h2>\n"
        html += "<p>Rendered by Loupe \(escapeHTML(provenance.loupeVersion)).</p>\n"
        if !provenance.models.isEmpty {
            html +=
                "<table class=\"hashes\"><caption>Models</caption><thead><tr><th>Model</th><th>SHA-256 of weights</th></tr></thead><tbody>\n"
            for model in provenance.models {
                html += "<tr><td>\(escapeHTML(model.name))</td><td><code>\(escapeHTML(model.sha256))</code></td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        if !provenance.images.isEmpty {
            html += "<table class=\"hashes\"><caption>Images</caption><thead><tr><th>Path</th><th>SHA-256</th></tr></thead><tbody>\n"
            for image in provenance.images {
                html += "<tr><td>\(escapeHTML(image.path))</td><td><code>\(escapeHTML(image.sha256))</code></td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        html += "</footer>\n"
        return html
    }
}
