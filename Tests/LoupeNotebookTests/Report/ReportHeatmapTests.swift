import Foundation
import Testing
@testable import LoupeNotebook

@Suite struct ReportHeatmapTests {
    @Test func colourBarLabelsAreTheDataMinAndMax() throws {
        let heatmap = Heatmap(values: [-0.25, 0.5, 1.75, 3.125], width: 2, height: 2, colorMap: .inferno, caption: "c")
        let rendered = try heatmap.rendered()
        #expect(rendered.range == -0.25...3.125)
        #expect(rendered.lowerLabel == "-0.25")
        #expect(rendered.upperLabel == "3.125")
        let html = HTMLRenderer().render(Report(
            title: "t", cells: [CellResult(id: "h", source: "", outputs: [.heatmap(heatmap)])], provenance: Provenance(loupeVersion: "v")))
        #expect(html.contains("<span class=\"bar-min\">-0.25</span><span class=\"bar-max\">3.125</span>"))
        #expect(html.contains("(2×2 values from -0.25 to 3.125; colour map inferno over [-0.25, 3.125])"))
    }

    @Test func explicitRangeAndSymmetricDivergingRange() throws {
        let values: [Float] = [-0.5, 0, 0.25, 2]
        let explicit = Heatmap(values: values, width: 2, height: 2, range: 0...1, caption: "c")
        #expect(try explicit.rendered().lowerLabel == "0")
        #expect(try explicit.rendered().upperLabel == "1")
        let diverging = Heatmap(values: values, width: 4, height: 1, colorMap: .coolwarm, caption: "c")
        #expect(try diverging.rendered().range == -2...2)
        // Zero is the middle colour of a diverging map.
        #expect(diverging.position(0, in: -2...2) == 0.5)
    }

    @Test func gammaBendsPositions() {
        let plain = Heatmap(values: [0], width: 1, height: 1, gamma: 0.5, caption: "c")
        #expect(plain.position(0.25, in: 0...1) == 0.5)
        let signed = Heatmap(values: [0], width: 1, height: 1, colorMap: .coolwarm, gamma: 0.5, caption: "c")
        #expect(signed.position(-0.25, in: -1...1) == 0.25)  // s = -0.25 → -0.5 → t = 0.25
        #expect(signed.position(1, in: -1...1) == 1)
    }

    @Test func mapPixelsAreColourMapColours() throws {
        let rendered = try Heatmap(values: [0, 1], width: 2, height: 1, colorMap: .viridis, caption: "c").rendered()
        let expected = try PNGEncoderReference.rgb(width: 2, height: 1, pixels: [68, 1, 84, 253, 231, 37])
        #expect(rendered.map.png == expected)
        #expect(rendered.map.width == 2 && rendered.map.height == 1)
    }

    @Test func invalidHeatmapsThrow() {
        #expect(throws: NotebookError.heatmapSizeMismatch(width: 2, height: 2, count: 3)) {
            try Heatmap(values: [1, 2, 3], width: 2, height: 2, caption: "c").rendered()
        }
        #expect(throws: NotebookError.heatmapInvalidSize(width: 0, height: 2)) {
            try Heatmap(values: [], width: 0, height: 2, caption: "c").rendered()
        }
        #expect(throws: NotebookError.heatmapInvalidRange(lower: 1, upper: 1)) {
            try Heatmap(values: [1], width: 1, height: 1, range: 1...1, caption: "c").rendered()
        }
        #expect(throws: NotebookError.heatmapInvalidGamma(-1)) {
            try Heatmap(values: [1], width: 1, height: 1, gamma: -1, caption: "c").rendered()
        }
    }

    @Test func constantDataStillDraws() throws {
        let rendered = try Heatmap(values: [2, 2], width: 2, height: 1, caption: "c").rendered()
        #expect(rendered.range == 1...3)
    }
}
