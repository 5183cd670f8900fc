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
                "<figure class=\"figure image\">\n\(imageTag(image, class: "plot"))\n<figcaption>\(escapeHTML(image.caption))</figcaption>\(probeLine(image, hint: ""))\n</figure>\n"
        case let .images(images, caption):
            var html = "<figure class=\"figure images\">\n<div class=\"row\">\n"
            for image in images {
                html +=
                    "<figure class=\"sub\">\(imageTag(image, class: "plot"))<figcaption>\(escapeHTML(image.caption))</figcaption>\(probeLine(image, hint: ""))</figure>\n"
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

    /// The `<img>`; with a value grid, marked `probed` and carrying it for the probe script
    /// (``HTMLRenderer/probeScript``): the grid as a `data:` PNG, its extent in Swift's shortest
    /// round-trip form, and its label.
    private func imageTag(_ image: ImageOutput, class className: String) -> String {
        var tag = "<img class=\"\(className)\(image.values == nil ? "" : " probed")\" src=\"\(dataURL(image.png))\""
        tag += " width=\"\(image.width)\" height=\"\(image.height)\" alt=\"\(escapeHTML(image.alt))\""
        if let grid = image.values {
            tag += " data-values=\"\(dataURL(grid.png))\" data-low=\"\(grid.range.lowerBound)\" data-high=\"\(grid.range.upperBound)\""
            if let label = grid.label { tag += " data-label=\"\(escapeHTML(label))\"" }
        }
        return tag + ">"
    }

    /// The line the probe script writes the value under the cursor into, for an image with a
    /// value grid; nothing for one without.
    private func probeLine(_ image: ImageOutput, hint: String) -> String {
        image.values == nil ? "" : "<output class=\"probe\">\(escapeHTML(hint))</output>"
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
        var map = rendered.map
        map.values = rendered.values
        if map.values != nil {
            html += "<div class=\"map-frame\">\(imageTag(map, class: "map"))</div>\n\(probeLine(map, hint: Self.probeHint))\n"
        } else {
            html += "\(imageTag(map, class: "map"))\n"
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
