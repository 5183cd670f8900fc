import Foundation
import Testing

@testable import LoupeNotebook

@Suite struct ReportHTMLRendererTests {
    /// Every value of `src=`, `href=` and `url(` in `html`.
    private func references(in html: String) throws -> [String] {
        let patterns = [#"(?:src|href)\s*=\s*"([^"]*)""#, #"(?:src|href)\s*=\s*'([^']*)'"#, #"url\(\s*([^)]*)\)"#]
        var found: [String] = []
        for pattern in patterns {
            let regex = try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
            let source = html as NSString
            for match in regex.matches(in: html, range: NSRange(location: 0, length: source.length)) {
                found.append(source.substring(with: match.range(at: 1)))
            }
        }
        return found
    }

    @Test func noExternalReferences() throws {
        for report in [try ReportSampleData.small(), try ReportSampleData.hostileReport()] {
            let html = HTMLRenderer().render(report)
            let refs = try references(in: html)
            #expect(!refs.isEmpty)
            for ref in refs {
                #expect(ref.hasPrefix("data:image/png;base64,") || ref.hasPrefix("#"), "external reference \(ref.prefix(60))")
            }
            #expect(!html.contains("http://"))
            #expect(!html.contains("https://"))
            #expect(!html.contains("\"//"))
            #expect(!html.contains("@import"))
            #expect(!html.contains("<link"))
            // The only script is the heatmap probe, allowed by its hash.
            #expect(
                html.components(separatedBy: "<script").count - 1 == html.components(
                    separatedBy: "<script>\(HTMLRenderer.probeScript)</script>"
                ).count - 1)
        }
    }

    @Test func contentSecurityPolicyFollowsTheCharset() throws {
        // The sample has heatmaps, so its policy allows the probe script by its hash, and nothing else.
        let html = HTMLRenderer().render(try ReportSampleData.small())
        let policy = HTMLRenderer.contentSecurityPolicy(probes: true, preview: false)
        #expect(policy.hasPrefix("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-"))
        #expect(
            html.contains(
                """
                <meta charset="utf-8">
                <meta http-equiv="Content-Security-Policy" content="\(policy)">

                """))
        #expect(html.components(separatedBy: "Content-Security-Policy").count == 2)
    }

    @Test func proseBlocksHaveNoCellMeta() throws {
        let html = HTMLRenderer().render(try ReportSampleData.small())
        #expect(html.contains("<section class=\"cell\" id=\"cell-intro\">\n<div class=\"prose\">\n<h1 id=\"h-introduction\">"))
        #expect(!html.contains("<span class=\"cell-id\">intro</span>"))
        // Directive cells keep it, and so do source-less cells with other outputs, failures or
        // nothing at all.
        #expect(html.contains("<span class=\"cell-id\">predict</span>"))
        let cells = [
            CellResult(id: "map", source: "", outputs: [.text("t")]),
            CellResult(id: "mixed", source: "", outputs: [.prose(html: "<p>p</p>"), .text("t")]),
            CellResult(id: "bad", source: "", outputs: [.prose(html: "<p>p</p>")], status: .failed("f")),
            CellResult(id: "empty", source: "", outputs: []),
        ]
        #expect(cells.allSatisfy { !$0.isProseBlock })
        #expect(CellResult(id: "p", source: "", outputs: [.prose(html: "a"), .prose(html: "b")], duration: 1, cached: true).isProseBlock)
        let other = HTMLRenderer().render(Report(title: "t", cells: cells, provenance: Provenance(loupeVersion: "v")))
        for cell in cells {
            #expect(other.contains("<span class=\"cell-id\">\(cell.id)</span>"))
        }
    }

    @Test func sameReportGivesSameBytes() throws {
        let first = HTMLRenderer().render(try ReportSampleData.small())
        let second = HTMLRenderer().render(try ReportSampleData.small())
        #expect(Data(first.utf8) == Data(second.utf8))
    }

    @Test func pageIsPhoneReadyAndPrintable() throws {
        let html = HTMLRenderer().render(try ReportSampleData.small())
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        #expect(html.contains("max-width: 860px"))
        #expect(html.contains("img { max-width: 100%; height: auto; }"))
        #expect(html.contains("@media print"))
        #expect(html.contains("details.source { display: none; }"))
        #expect(html.contains("break-inside: avoid"))
    }

    @Test func tableOfContentsHasProseAndCellHeadings() throws {
        let html = HTMLRenderer().render(try ReportSampleData.small())
        #expect(html.contains("<h1 id=\"h-introduction\">Introduction</h1>"))
        #expect(html.contains("<h2 id=\"h-setup-amp-data\">Setup &amp; data</h2>"))
        let toc = [
            "<li class=\"toc-l1\"><a href=\"#h-introduction\">Introduction</a></li>",
            "<li class=\"toc-l2\"><a href=\"#h-setup-amp-data\">Setup &amp; data</a></li>",
            "<li class=\"toc-l2\"><a href=\"#cell-predict\">Top classes</a></li>",
            "<li class=\"toc-l2\"><a href=\"#cell-saliency\">Saliency</a></li>",
            "<li class=\"toc-l2\"><a href=\"#cell-broken\">A failing cell</a></li>",
        ]
        let joined = toc.joined(separator: "\n")
        #expect(html.contains(joined))
    }

    @Test func duplicateProseHeadingsGetDistinctIDs() {
        var anchors = HeadingAnchors()
        let result = anchors.process("<h2>Results</h2><p>x</p><h2>Results</h2><h3 id=\"kept\">Kept</h3><h4>Not in TOC</h4>")
        #expect(
            result.html
                == "<h2 id=\"h-results\">Results</h2><p>x</p><h2 id=\"h-results-2\">Results</h2><h3 id=\"kept\">Kept</h3><h4>Not in TOC</h4>"
        )
        #expect(result.entries.map(\.anchor) == ["h-results", "h-results-2", "kept"])
        #expect(result.entries.map(\.level) == [2, 2, 3])
    }

    @Test func cellMetaShowsTimeCachedAndStatus() throws {
        let html = HTMLRenderer().render(try ReportSampleData.small())
        #expect(
            html.contains(
                "<span class=\"cell-id\">predict</span> <span class=\"time\">42 ms</span> <span class=\"cached\" title=\"from cache\">cached</span></div>"
            ))
        #expect(html.contains("<span class=\"cell-id\">saliency</span> <span class=\"time\">1.50 s</span></div>"))
        #expect(html.contains("<span class=\"badge failed\">failed</span>"))
        #expect(html.contains("<strong>Cell failed:</strong> unknown layer &#39;layer9&#39;: expected one of conv1, conv2, fc</div>"))
        #expect(HTMLRenderer.formatDuration(125) == "2 min 5 s")
    }

    @Test func everyFigureHasACaption() throws {
        let html = HTMLRenderer().render(try ReportSampleData.small())
        let figures = html.components(separatedBy: "<figure").count - 1
        let captions = html.components(separatedBy: "<figcaption>").count - 1
        #expect(figures == 6)  // table, image group + its 2 images, 2 heatmaps
        #expect(captions == figures)
    }

    @Test func provenanceFooter() throws {
        let html = HTMLRenderer().render(try ReportSampleData.small())
        #expect(html.contains("<p>Rendered by Loupe 0.1.0.</p>"))
        #expect(html.contains("<tr><td>tinycnn</td><td><code>\(String(repeating: "ab", count: 32))</code></td></tr>"))
        #expect(html.contains("<tr><td>images/cat.png</td><td><code>\(String(repeating: "0f", count: 32))</code></td></tr>"))
    }
}
