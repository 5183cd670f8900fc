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
