import Foundation
import Testing

@testable import LoupeNotebook

@Suite struct ReportChartTests {
    static let deletion = Chart(
        caption: "Deletion <b>& insertion</b>", xLabel: "fraction of pixels", yLabel: "p(dog)",
        series: [
            Chart.Series(label: "deletion", x: [0, 0.5, 1], y: [0.9, 0.2, 0.05], filled: true),
            Chart.Series(label: "insertion <i>", x: [0, 0.5, 1], y: [0.1, 0.7, 0.9]),
        ])

    @Test func ticksAreNiceAndCoverTheData() {
        let ticks = AxisTicks(covering: 0.05...0.9, target: 5)
        #expect(ticks.step == 0.2)
        #expect(ticks.range == 0...1)
        #expect(ticks.values.count == 6)
        #expect(ticks.values.map(ticks.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let steps = AxisTicks(covering: 0...99, target: 6)
        #expect(steps.step == 20)
        #expect(steps.range == 0...100)
        #expect(steps.values.map(steps.label).last == "100")
        let flat = AxisTicks(covering: 3...3)
        #expect(flat.range.lowerBound < 3 && flat.range.upperBound > 3)
    }

    @Test func nonFinitePointsAreDroppedAndExtentIsTheData() {
        let series = Chart.Series(label: "s", x: [0, 1, 2, 3], y: [1, .nan, -.infinity, 4])
        #expect(series.x == [0, 3])
        #expect(series.y == [1, 4])
        let chart = Chart(caption: "c", xLabel: "x", yLabel: "y", series: [series, Chart.Series(label: "t", values: [2, -1])])
        #expect(chart.extent?.x == 0...3)
        #expect(chart.extent?.y == -1...4)
        #expect(Chart(caption: "c", xLabel: "x", yLabel: "y", series: []).extent == nil)
    }

    @Test func svgPlacesPointsOnTheAxesAndEscapesText() {
        let svg = Self.deletion.svg()
        // x axis spans 0…1 over 64…624, y axis 0…1 over 254…16.
        #expect(svg.contains("<polyline points=\"64.0,39.8 344.0,206.4 624.0,242.1\""))
        #expect(svg.contains("<polygon points=\"64.0,254.0 64.0,39.8 344.0,206.4 624.0,242.1 624.0,254.0\""))
        #expect(svg.contains("insertion &lt;i&gt;"))
        #expect(svg.contains("aria-label=\"Deletion &lt;b&gt;&amp; insertion&lt;/b&gt;\""))
        #expect(!svg.contains("<b>"))
        #expect(!svg.contains("style="), "colours are presentation attributes; CSP allows no inline style on SVG")
    }

    @Test func rendersInHTMLAndNotebookAndRoundTripsThroughJSON() throws {
        let report = Report(
            title: "t", cells: [CellResult(id: "c", source: "", outputs: [.chart(Self.deletion)])],
            provenance: Provenance(loupeVersion: "v"))
        let html = HTMLRenderer().render(report)
        #expect(html.contains("<figure class=\"figure chart\">\n<svg class=\"chart\""))
        #expect(html.contains("<figcaption>Deletion &lt;b&gt;&amp; insertion&lt;/b&gt;</figcaption>"))

        let data = try JSONEncoder().encode(CellOutput.chart(Self.deletion))
        #expect(try JSONDecoder().decode(CellOutput.self, from: data) == .chart(Self.deletion))

        let notebook = try IPYNBRenderer().render(report)
        let text = String(decoding: notebook, as: UTF8.self)
        #expect(text.contains("image/svg+xml"))
        #expect(text.contains("deletion: 3 points, first 0.9, last 0.05, min 0.05, max 0.9"))
    }
}
