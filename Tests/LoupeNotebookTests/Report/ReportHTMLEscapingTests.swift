import Foundation
import Testing

@testable import LoupeNotebook

@Suite struct ReportHTMLEscapingTests {
    @Test func escapesTheFiveCharacters() {
        #expect(escapeHTML("a & b < c > d \" e ' f") == "a &amp; b &lt; c &gt; d &quot; e &#39; f")
        #expect(escapeHTML("plain – text ✓") == "plain – text ✓")
        #expect(escapeHTML("&amp;") == "&amp;amp;")
        #expect(escapeHTML("") == "")
    }

    @Test func bidiOverridesAndControlsAreShownNotObeyed() {
        #expect(escapeHTML("photo\u{202E}gpj.exe") == "photo[U+202E]gpj.exe")
        #expect(escapeHTML("\u{2066}a\u{2069}\u{202A}") == "[U+2066]a[U+2069][U+202A]")
        #expect(escapeHTML("a\u{0}b\u{1B}[31m\u{7F}\u{85}") == "a[U+0000]b[U+001B][31m[U+007F][U+0085]")
        // Tabs and line breaks are text; right-to-left scripts and marks are left alone.
        #expect(escapeHTML("a\tb\nc\r") == "a\tb\nc\r")
        #expect(escapeHTML("שלום \u{200F}עולם") == "שלום \u{200F}עולם")
    }

    @Test func userTextIsEscapedEverywhere() throws {
        let html = HTMLRenderer().render(try ReportSampleData.hostileReport())
        let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"
        // One script: the heatmap probe, none from the report's text.
        #expect(html.components(separatedBy: "<script").count == 2 && html.contains("<script>\(HTMLRenderer.probeScript)</script>"))
        #expect(!html.contains(ReportSampleData.hostile))
        #expect(!html.contains("alert('x')"))
        // Title, authors, description, heading, source, table header and cell, captions (table,
        // image, group, heatmap), alt text, text, error output, failure message, skip reason,
        // version, model name and hash, image path and hash.
        let expectedPieces = [
            "<title>\(escaped)</title>",
            "<h1 class=\"report-title\">\(escaped)</h1>",
            "<p class=\"authors\">\(escaped)</p>",
            "<p class=\"description\">\(escaped)</p>",
            "<h2 class=\"cell-heading\">\(escaped)</h2>",
            "<span class=\"cell-id\">\(escaped)</span>",
            "<pre><code>\(escaped)</code></pre>",
            "<th>\(escaped)</th>",
            "<td>\(escaped)</td>",
            "<figcaption>\(escaped)</figcaption>",
            "alt=\"\(escaped)\"",
            "<pre class=\"text\">\(escaped)</pre>",
            "<div class=\"error\" role=\"alert\">\(escaped)</div>",
            "<strong>Cell failed:</strong> \(escaped)</div>",
            "<p class=\"skipped-note\">Skipped: \(escaped)</p>",
            "Rendered by Loupe \(escaped).",
            "<tr><td>\(escaped)</td><td><code>\(escaped)</code></td></tr>",
            "<figcaption>\(escaped) <span class=\"facts\">",
        ]
        for piece in expectedPieces {
            #expect(html.contains(piece), "missing \(piece)")
        }
        // The cell id becomes a safe anchor: only [A-Za-z0-9_-].
        let anchor = CellResult(id: ReportSampleData.hostile, source: "", outputs: []).anchor
        #expect(anchor == "cell--script-alert--x----script-----quoted-")
        #expect(html.contains("id=\"\(anchor)\""))
    }
}
