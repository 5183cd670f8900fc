import Crypto
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

    /// What `loupe serve` adds to a page it serves, or nil for a report as it is written to disk.
    public let preview: Preview?

    /// A renderer.
    ///
    /// - Parameter preview: the live-preview additions, or nil (the default) for a report file.
    public init(preview: Preview? = nil) {
        self.preview = preview
    }

    /// What a page served by `loupe serve` has beyond the report: a small script (allowed by its
    /// hash, the one script the page may run) that opens a WebSocket to the server it came from
    /// (`connect-src 'self'`, no other connection) and reloads the page when a newer render is
    /// ready; and, when the notebook no longer renders, the error above the last good report.
    public struct Preview: Sendable, Equatable {
        /// Which render of the notebook the page shows: the server sends the newest, the page
        /// reloads when they differ.
        public var version: Int
        /// Why the notebook's newest version did not render (the file, line and message), if it did not.
        public var error: String?
        /// The cells of the shown render that failed, each as `file:line: error: cell 'id': message`.
        public var failures: [String]

        /// The additions for render `version`, with the error that stopped a newer one.
        ///
        /// - Parameters:
        ///   - version: which render the page shows.
        ///   - error: why a newer version did not render, or nil.
        ///   - failures: the shown render's failed cells with their lines.
        public init(version: Int, error: String? = nil, failures: [String] = []) {
            self.version = version
            self.error = error
            self.failures = failures
        }

        /// The script: connect to `/events`, say which version is shown, reload on a newer one,
        /// and reconnect half a second after the server goes away.
        public static let script = """
            (function () {
              var shown = document.querySelector('meta[name="loupe-preview"]').content;
              function connect() {
                var socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/events");
                socket.onopen = function () { socket.send("shown " + shown); };
                socket.onmessage = function (event) { if (event.data !== shown) { location.reload(); } };
                socket.onclose = function () { setTimeout(connect, 500); };
              }
              connect();
            })();
            """

    }

    /// The Content-Security-Policy of a page: ``contentSecurityPolicy``, plus each script the page
    /// holds allowed by its SHA-256 (the heatmap probe, the preview's), plus connections to the
    /// server the page came from for a preview.
    ///
    /// - Parameters:
    ///   - probes: whether the page holds heatmaps with values to probe.
    ///   - preview: whether it is a page `loupe serve` serves.
    /// - Returns: the policy.
    public static func contentSecurityPolicy(probes: Bool, preview: Bool) -> String {
        let scripts = (probes ? [probeScript] : []) + (preview ? [Preview.script] : [])
        guard !scripts.isEmpty else { return contentSecurityPolicy }
        let hashes = scripts.map { "'sha256-\(Data(SHA256.hash(data: Data($0.utf8))).base64EncodedString())'" }
        return contentSecurityPolicy + "; script-src " + hashes.joined(separator: " ") + (preview ? "; connect-src 'self'" : "")
    }

    /// What a heatmap's probe line says before the cursor is over the map.
    static let probeHint = "Point at the map for values; click to zoom."

    /// The probe: the channel, pixel and value under the cursor, and click to zoom a heatmap.
    ///
    /// For each picture with a value grid (`img.probed`: `data-values`, a grey PNG whose bytes
    /// are the values' positions between `data-low` and `data-high` in 255 steps, and an
    /// optional `data-label` such as `channel 12`), the `output.probe` of its figure shows the
    /// label, the pixel of the grid under the cursor, its value and half a step; a click zooms a
    /// heatmap (`img.map`) to 3× (scroll inside its frame) and back. No network: the grid is a
    /// `data:` image.
    public static let probeScript = """
        (function () {
          document.querySelectorAll("img.probed").forEach(function (map) {
            var probe = map.closest("figure").querySelector("output.probe");
            var label = map.dataset.label ? map.dataset.label + " · " : "";
            var low = parseFloat(map.dataset.low), high = parseFloat(map.dataset.high);
            var step = (high - low) / 255, grid = null, width = 0, height = 0;
            var source = new Image();
            source.onload = function () {
              width = source.naturalWidth; height = source.naturalHeight;
              var canvas = document.createElement("canvas");
              canvas.width = width; canvas.height = height;
              var context = canvas.getContext("2d");
              context.drawImage(source, 0, 0);
              grid = context.getImageData(0, 0, width, height).data;
              map.dataset.ready = "1";
            };
            source.src = map.dataset.values;
            var hint = probe.textContent;
            map.addEventListener("mousemove", function (event) {
              if (!grid) { return; }
              var box = map.getBoundingClientRect();
              var x = Math.min(width - 1, Math.max(0, Math.floor((event.clientX - box.left) / box.width * width)));
              var y = Math.min(height - 1, Math.max(0, Math.floor((event.clientY - box.top) / box.height * height)));
              var value = low + grid[4 * (y * width + x)] * step;
              probe.textContent = label + "pixel (" + x + ", " + y + "): " + value.toPrecision(4) + " ± " + (step / 2).toPrecision(2);
            });
            map.addEventListener("mouseleave", function () { probe.textContent = hint; });
            if (map.classList.contains("map")) {
              map.addEventListener("click", function () { map.classList.toggle("zoomed"); });
            }
          });
        })();
        """

    /// The report as an HTML document (UTF-8 text).
    ///
    /// A heatmap that cannot be drawn (wrong value count, bad range) becomes an error box in its
    /// cell; the rest of the report still renders.
    public func render(_ report: Report) -> String {
        renderPage(report).html
    }

    /// The report as an HTML document and the Content-Security-Policy it carries (for a server
    /// to send as a header too).
    ///
    /// - Parameter report: the report.
    /// - Returns: the document and its policy.
    public func renderPage(_ report: Report) -> (html: String, contentSecurityPolicy: String) {
        var anchors = HeadingAnchors()
        for cell in report.cells { anchors.reserve(cell.anchor) }
        var toc: [TOCEntry] = []
        var body = ""
        for cell in report.cells {
            body += renderCell(cell, anchors: &anchors, toc: &toc)
        }
        // User text cannot hold this attribute: quotes in it are escaped.
        let probes = body.contains(" data-values=\"data:")
        let policy = Self.contentSecurityPolicy(probes: probes, preview: preview != nil)

        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(policy)">
            \(preview.map { "<meta name=\"loupe-preview\" content=\"\($0.version)\">\n" } ?? "")<meta name="viewport" content="width=device-width, initial-scale=1">
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
        if let error = preview?.error {
            html +=
                "<div class=\"error preview-error\" role=\"alert\"><strong>The notebook did not render; below is the last version that did.</strong>\n"
            html += "\(escapeHTML(error))</div>\n"
        }
        if let failures = preview?.failures, !failures.isEmpty {
            let count = failures.count == 1 ? "A cell" : "\(failures.count) cells"
            html += "<div class=\"error preview-error\" role=\"alert\"><strong>\(count) failed:</strong>\n"
            html += failures.map(escapeHTML).joined(separator: "\n") + "</div>\n"
        }
        html += renderTOC(toc)
        html += body
        html += renderProvenance(report.provenance)
        html += "</main>\n"
        if probes { html += "<script>\(Self.probeScript)</script>\n" }
        if preview != nil { html += "<script>\(Preview.script)</script>\n" }
        html += "</body>\n</html>\n"
        return (html, policy)
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
