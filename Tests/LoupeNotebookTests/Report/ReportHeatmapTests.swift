import Foundation
import LoupeImage
import Testing

@testable import LoupeNotebook

@Suite struct ReportHeatmapTests {
    @Test func colourBarLabelsAreTheDataMinAndMax() throws {
        let figure = try HeatmapFigure(Heatmap(values: [-0.25, 0.5, 1.75, 3.125], width: 2, height: 2, colorMap: .inferno), caption: "c")
        let rendered = try figure.rendered()
        #expect(rendered.range == -0.25...3.125)
        #expect(rendered.lowerLabel == "-0.25")
        #expect(rendered.upperLabel == "3.125")
        let html = HTMLRenderer().render(
            Report(
                title: "t", cells: [CellResult(id: "h", source: "", outputs: [.heatmap(figure)])], provenance: Provenance(loupeVersion: "v")
            ))
        #expect(html.contains("<span class=\"bar-min\">-0.25</span><span class=\"bar-max\">3.125</span>"))
        #expect(html.contains("(2×2 values from -0.25 to 3.125; colour map inferno over [-0.25, 3.125])"))
    }

    /// A heatmap carries its values for the page's probe: a grey PNG of each value's position in
    /// the data's extent (255 steps), the extent in full, and the probe script allowed by its hash.
    @Test func heatmapsCarryTheirValuesForTheProbe() throws {
        let values: [Float] = [-0.25, 0.5, 1.75, 3.125, .nan, 0]
        let figure = try HeatmapFigure(Heatmap(values: values, width: 3, height: 2, colorMap: .inferno), caption: "c")
        let report = Report(
            title: "t", cells: [CellResult(id: "h", source: "", outputs: [.heatmap(figure)])], provenance: Provenance(loupeVersion: "v"))
        let (html, policy) = HTMLRenderer().renderPage(report)
        #expect(html.contains("data-low=\"-0.25\" data-high=\"3.125\""))
        let encoded = try #require(html.firstMatch(of: /data-values="data:image\/png;base64,([^"]+)"/)?.1)
        let grid = try RGBImage(data: try #require(Data(base64Encoded: String(encoded))), name: "values")
        #expect(grid.width == 3 && grid.height == 2)
        let bytes = stride(from: 0, to: grid.pixels.count, by: 3).map { grid.pixels[$0] }
        // (v + 0.25) / 3.375 × 255, rounded; NaN is 0.
        #expect(bytes == [0, 57, 151, 255, 0, 19])
        #expect(html.contains("<output class=\"probe\">\(HTMLRenderer.probeHint)</output>"))
        #expect(html.contains("<script>\(HTMLRenderer.probeScript)</script>"))
        #expect(html.components(separatedBy: "<script").count == 2, "one script")
        #expect(policy == HTMLRenderer.contentSecurityPolicy(probes: true, preview: false))
        #expect(policy.hasPrefix(HTMLRenderer.contentSecurityPolicy + "; script-src 'sha256-") && !policy.contains("connect-src"))
        #expect(html.contains("content=\"\(policy)\""))
        // The notebook form keeps the map as a plain image.
        let notebook = String(decoding: try IPYNBRenderer().render(report), as: UTF8.self)
        #expect(!notebook.contains("data-values") && !notebook.contains("<script"))
        // No finite value: nothing to probe, no script.
        let empty = try HeatmapFigure(Heatmap(values: [.nan, .infinity], width: 2, height: 1), caption: "c")
        let blank = HTMLRenderer().render(
            Report(
                title: "t", cells: [CellResult(id: "h", source: "", outputs: [.heatmap(empty)])], provenance: Provenance(loupeVersion: "v"))
        )
        #expect(!blank.contains("<script") && blank.contains("content=\"\(HTMLRenderer.contentSecurityPolicy)\""))
    }

    @Test func theMapIsTheColourMapsColoursAsPNG() throws {
        let rendered = try HeatmapFigure(Heatmap(values: [0, 1], width: 2, height: 1, colorMap: .viridis), caption: "c").rendered()
        let expected = try PNGEncoderReference.rgb(width: 2, height: 1, pixels: [68, 1, 84, 253, 231, 37])
        #expect(rendered.map.png == expected)
        #expect(rendered.map.width == 2 && rendered.map.height == 1)
    }

    /// A map that cannot be drawn fails where it is made (its cell), never in the report.
    @Test func aFigureThatCannotBeDrawnCannotBeMade() throws {
        #expect(throws: ImageError.invalidHeatmap("expected 2×2 = 4 values, found 3")) {
            try HeatmapFigure(Heatmap(values: [1, 2, 3], width: 2, height: 2), caption: "c")
        }
        #expect(throws: ImageError.sizeMismatch(expectedWidth: 2, expectedHeight: 2, width: 1, height: 1)) {
            try HeatmapFigure(
                Heatmap(values: [1, 2, 3, 4], width: 2, height: 2), caption: "c",
                underlay: try RGBImage(width: 1, height: 1, pixels: [1, 2, 3]))
        }
        // Nor can the cache hand one back.
        let bad = #"{"caption":"c","colorMap":"viridis","height":2,"values":"AACAPwAAAMA=","width":2}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(HeatmapFigure.self, from: Data(bad.utf8)) }
    }
}
