import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels
import Testing

@testable import LoupeNotebook

/// `{sanity-check}` and `{deletion}` on the store's EfficientNet-Lite0 and the dog photo: the
/// outputs' numbers agree with each other and with `LoupeInterp` run directly.
@Suite(.serialized) struct FaithfulnessDirectiveTests {
    static let images = ReferenceTests.root.appendingPathComponent("Notebooks/images")

    func render(_ cells: String) throws -> NotebookRendering {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("nb.md")
        let text = """
            ---
            params:
              images: \(Self.images.path)
            defaults:
              model: net
              image: dog
            ---
            ```{model} net
            ```

            ```{image} dog
            :src: "{{ images }}/dog.jpg"
            :show: false
            ```

            \(cells)
            """
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try NotebookRendering(notebook: url, displayPath: "nb.md", cache: nil)
    }

    func cell(_ rendering: NotebookRendering, _ id: String) throws -> CellResult {
        try #require(rendering.report.cells.first { $0.id == id }, "no cell \(id)")
    }

    @Test func sanityCheckShowsEachStagesMapTableAndChart() throws {
        let rendering = try render(
            """
            ```{sanity-check}
            :stages: 6
            :every: 2
            :seed: 5
            ```

            ```{sanity-check}
            :method: gradcam
            :layer: _blocks.99
            ```
            """)
        let check = try cell(rendering, "sanity-check-1")
        #expect(check.status == .ok)
        guard check.outputs.count == 3, case let .images(maps, caption) = check.outputs[0], case let .table(table) = check.outputs[1],
            case let .chart(chart) = check.outputs[2]
        else {
            Issue.record("expected a row of maps, a table and a chart, found \(check.outputs)")
            return
        }
        #expect(maps.count == 4, "the original and stages 2, 4 and 6")
        #expect(maps.allSatisfy { ($0.width, $0.height) == (224, 224) })
        #expect(maps[0].caption == "original")
        #expect(maps[1].caption.hasPrefix("after _conv_head + _bn1: ρ = "))
        #expect(caption.contains("saliency |gradient| of efficientnet-lite0 for dog.jpg, target German shepherd (235)"))
        #expect(caption.contains("seed 5"))

        #expect(table.columns == SanityCheckDirective.columns)
        #expect(table.rows.map { $0[0] } == ["0", "2", "4", "6"])
        #expect(table.rows.map { $0[1] } == ["— (trained model)", "_conv_head + _bn1", "_blocks.14", "_blocks.12"])
        #expect(table.rows[0][2] == "1.000" && table.rows[0][3] == "1.000", "stage 0 is the trained model: ρ = 1")

        // The numbers are LoupeInterp's, for the same options.
        let model = try Model(named: "efficientnet-lite0")
        let photo = try LoadedImage(
            image: try RGBImage(contentsOf: Self.images.appendingPathComponent("dog.jpg")), source: "dog.jpg", isPrepared: false)
        let input = try photo.input(for: model)
        let direct = try Attributor(model: model).sanityCheck(
            .saliency, input: input, seen: try photo.modelView(for: model), target: try model.resolve(.topClass, for: input), stages: 6,
            every: 2, seed: 5)
        #expect(table.rows.map { $0[2] } == direct.stages.map { String(format: "%.3f", $0.rankCorrelation) })
        #expect(maps[3].caption == "after _blocks.12: ρ = \(String(format: "%.3f", direct.stages[3].rankCorrelation))")
        #expect(direct.stages[3].rankCorrelation < 0.5)

        #expect(chart.series.map(\.label) == ["ρ(|map|)"], "saliency's maps are magnitudes: one series")
        #expect(chart.series[0].x == [0, 2, 4, 6])
        #expect(chart.series[0].y.first == 1)
        #expect(chart.series[0].y == direct.stages.map(\.rankCorrelation))

        guard case let .failed(message) = try cell(rendering, "sanity-check-2").status else {
            Issue.record("an unknown Grad-CAM layer must fail the cell")
            return
        }
        #expect(message.contains("_blocks.99"), "names the layer: \(message)")
    }

    @Test func deletionChartAndTableAgree() throws {
        let rendering = try render(
            """
            ```{deletion}
            :method: gradcam
            :steps: 20
            :seed: 2
            ```

            ```{deletion}
            :target: _conv_head:3
            ```
            """)
        let deletion = try cell(rendering, "deletion-1")
        #expect(deletion.status == .ok)
        guard deletion.outputs.count == 2, case let .chart(chart) = deletion.outputs[0], case let .table(table) = deletion.outputs[1] else {
            Issue.record("expected a chart and a table, found \(deletion.outputs)")
            return
        }
        #expect(chart.series.count == 4)
        #expect(chart.series.allSatisfy { $0.x.count == 21 && $0.x.first == 0 && $0.x.last == 1 })
        #expect(chart.caption.contains("Grad-CAM of efficientnet-lite0 for dog.jpg, target German shepherd (235), layer _relu"))
        #expect(table.columns == DeletionDirective.columns)
        #expect(table.rows.map { $0[0] } == ["deletion", "insertion"])
        // Every area in the table is the trapezoid area of the chart's curve.
        let areas = chart.series.map { DeletionCurves.area($0.y, at: $0.x) }
        #expect(table.rows[0][1] == String(format: "%.4f", areas[0]) && table.rows[1][1] == String(format: "%.4f", areas[1]))
        #expect(table.rows[0][2] == String(format: "%.4f", areas[2]) && table.rows[1][2] == String(format: "%.4f", areas[3]))
        // On this photo Grad-CAM's deletion beats the random order; its insertion does not
        // (DeletionTests has the numbers).
        #expect(areas[0] < areas[2], "Grad-CAM's deletion beats the random order")
        #expect(areas.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(chart.series.map(\.label) == ["deletion", "insertion", "random deletion", "random insertion"])

        guard case let .failed(message) = try cell(rendering, "deletion-2").status else {
            Issue.record("a channel target must fail the cell")
            return
        }
        #expect(message.contains("names a channel, not a class"))
    }
}
