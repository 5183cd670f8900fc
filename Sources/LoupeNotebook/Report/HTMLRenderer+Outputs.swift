import Foundation
import LoupeImage

/// HTML for each kind of ``CellOutput``.
extension HTMLRenderer {
    func renderOutput(_ output: CellOutput, anchors: inout HeadingAnchors, toc: inout [TOCEntry]) -> String {
        switch output {
        case let .prose(html):
            let processed = anchors.process(html)
            toc += processed.entries
            return "<div class=\"prose\">\n\(processed.html)\n</div>\n"
        case let .table(table):
            return renderTable(table)
        case let .image(image):
            return
                "<figure class=\"figure image\">\n\(imageTag(image, class: "plot"))\n<figcaption>\(escapeHTML(image.caption))</figcaption>\n</figure>\n"
        case let .images(images, caption):
            var html = "<figure class=\"figure images\">\n<div class=\"row\">\n"
            for image in images {
                html +=
                    "<figure class=\"sub\">\(imageTag(image, class: "plot"))<figcaption>\(escapeHTML(image.caption))</figcaption></figure>\n"
            }
            html += "</div>\n<figcaption>\(escapeHTML(caption))</figcaption>\n</figure>\n"
            return html
        case let .heatmap(heatmap):
            return renderHeatmap(heatmap)
        case let .chart(chart):
            return "<figure class=\"figure chart\">\n\(chart.svg())\n<figcaption>\(escapeHTML(chart.caption))</figcaption>\n</figure>\n"
        case let .text(text):
            return "<pre class=\"text\">\(escapeHTML(text))</pre>\n"
        case let .error(message):
            return "<div class=\"error\" role=\"alert\">\(escapeHTML(message))</div>\n"
        }
    }

    /// A table as a captioned `<figure>`; every cell, header and the caption are escaped.
    func renderTable(_ table: Table) -> String {
        var html = "<figure class=\"figure table\">\n<div class=\"scroll\"><table>\n"
        if !table.columns.isEmpty {
            html += "<thead><tr>" + table.columns.map { "<th>\(escapeHTML($0))</th>" }.joined() + "</tr></thead>\n"
        }
        html += "<tbody>\n"
        for row in table.rows {
            html += "<tr>" + row.map { "<td>\(escapeHTML($0))</td>" }.joined() + "</tr>\n"
        }
        html += "</tbody>\n</table></div>\n<figcaption>\(escapeHTML(table.caption))</figcaption>\n</figure>\n"
        return html
    }

    private func imageTag(_ image: ImageOutput, class className: String) -> String {
        "<img class=\"\(className)\" src=\"\(dataURL(image.png))\" width=\"\(image.width)\" height=\"\(image.height)\" alt=\"\(escapeHTML(image.alt))\">"
    }

    private func dataURL(_ png: Data) -> String {
        "data:image/png;base64," + png.base64EncodedString()
    }

    /// The plain-text facts under a heatmap: size, data extent, colour map, shown range and gamma.
    static func heatmapFacts(_ heatmap: HeatmapFigure, rendered: RenderedHeatmap) -> String {
        var facts = "\(heatmap.width)×\(heatmap.height) values"
        if let extent = rendered.dataExtent {
            facts += " from \(formatValue(extent.lowerBound)) to \(formatValue(extent.upperBound))"
        }
        facts += "; colour map \(heatmap.colorMap.rawValue) over [\(rendered.lowerLabel), \(rendered.upperLabel)]"
        if let gamma = heatmap.gamma { facts += ", gamma \(formatValue(gamma))" }
        return facts
    }

    private func renderHeatmap(_ heatmap: HeatmapFigure) -> String {
        let rendered: RenderedHeatmap
        do {
            rendered = try heatmap.rendered()
        } catch {
            return
                "<div class=\"error\" role=\"alert\">Could not draw heatmap “\(escapeHTML(heatmap.caption))”: \(escapeHTML(String(describing: error)))</div>\n"
        }
        let facts = Self.heatmapFacts(heatmap, rendered: rendered)
        var html = "<figure class=\"figure heatmap\">\n"
        if let values = rendered.values, let extent = rendered.dataExtent {
            // The value grid for the probe script (HTMLRenderer.probeScript), exact bounds in
            // Swift's shortest round-trip form.
            let map = rendered.map
            html +=
                "<div class=\"map-frame\"><img class=\"map probed\" src=\"\(dataURL(map.png))\" width=\"\(map.width)\" height=\"\(map.height)\""
            html +=
                " alt=\"\(escapeHTML(map.alt))\" data-values=\"\(dataURL(values))\" data-low=\"\(extent.lowerBound)\" data-high=\"\(extent.upperBound)\"></div>\n"
            html += "<output class=\"probe\">\(Self.probeHint)</output>\n"
        } else {
            html += "\(imageTag(rendered.map, class: "map"))\n"
        }
        html +=
            "<div class=\"colorbar\"><img class=\"bar\" src=\"\(dataURL(rendered.colorBar))\" width=\"256\" height=\"12\" alt=\"colour bar, \(heatmap.colorMap.rawValue)\">"
        html +=
            "<div class=\"bar-labels\"><span class=\"bar-min\">\(rendered.lowerLabel)</span><span class=\"bar-max\">\(rendered.upperLabel)</span></div></div>\n"
        html += "<figcaption>\(escapeHTML(heatmap.caption)) <span class=\"facts\">(\(escapeHTML(facts)))</span></figcaption>\n"
        html += "</figure>\n"
        return html
    }
}
