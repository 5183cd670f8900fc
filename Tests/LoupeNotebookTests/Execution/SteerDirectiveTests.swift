import Foundation
import Testing

@testable import LoupeNotebook

/// `{steer}` on the real Lite0, MiniLM and the shipped captioned photos.
@Suite struct SteerDirectiveTests {
    let tests = DirectiveTests()

    @Test func aSentenceSteersTheLayerNextToItsControl() throws {
        let rendering = try tests.render(
            """
            ```{model} net
            :name: efficientnet-lite0
            ```

            ```{model} other
            :name: efficientnet-lite2
            ```

            ```{image} photo
            :src: "{{ images }}/dog.jpg"
            ```

            ```{couple} words
            :layer: _blocks.15
            :captions: {{ images }}/coupling/captions.json
            :crops: 1
            :permutations: 50
            ```

            ```{predict}
            :image: photo
            :top: 3
            ```

            ```{steer}
            :image: photo
            :adaptor: words
            :sentence: a striped tiger in the grass
            :control: a plate of food on a table
            :alphas: 0, 2, 8, 32
            ```

            ```{steer}
            :image: photo
            :adaptor: words
            :sentence: a striped tiger in the grass
            :alphas: 0, 8
            :mode: scaled
            ```

            ```{steer}
            :image: photo
            :adaptor: words
            :sentence: a tiger
            :alphas: 0, lots
            ```

            ```{steer}
            :model: other
            :image: photo
            :adaptor: words
            :sentence: a tiger
            ```

            ```{visualize}
            :sentence: a striped tiger in the grass
            :adaptor: words
            :parameterization: fourier
            :steps: 12
            :size: 128
            ```

            ```{visualize}
            :sentence: a tiger
            ```

            ```{visualize}
            :target: flamingo
            :sentence: a tiger
            :adaptor: words
            ```
            """)
        let predicted = try tests.cell(rendering, "predict-1")
        guard case let .table(top)? = predicted.outputs.first else {
            Issue.record("no prediction")
            return
        }
        let towards = try tests.cell(rendering, "steer-1")
        #expect(towards.status == .ok)
        guard towards.outputs.count == 2, case let .table(outcome) = towards.outputs[0], case let .table(pattern) = towards.outputs[1]
        else {
            Issue.record("expected two tables, found \(towards.outputs)")
            return
        }
        #expect(outcome.rows.map { $0[0] } == ["0", "2", "8", "32"])
        // At α = 0 both sides are the model as it is: the same classes and probabilities as {predict}.
        let unsteered = top.rows.map { "\($0[1]) \(String(format: "%.2f", Double($0[4]) ?? -1))" }.joined(separator: " · ")
        #expect(outcome.rows[0][1] == unsteered && outcome.rows[0][3] == unsteered, "\(outcome.rows[0]) against \(unsteered)")
        #expect(outcome.rows[0][2] == outcome.rows[0][4])
        // A strong push changes what the model sees: the unsteered top class loses probability on one side at least.
        let p = outcome.rows.map { (Double($0[2]) ?? -1, Double($0[4]) ?? -1) }
        #expect(min(p[3].0, p[3].1) < p[0].0 - 0.1, "\(p)")
        // Only coupled channels carry the pattern, largest first.
        #expect(!pattern.rows.isEmpty && pattern.rows.allSatisfy { $0[4] == "yes" })
        let sizes = pattern.rows.compactMap { Double($0[1]).map(abs) }
        #expect(sizes == sizes.sorted(by: >))

        let negated = try tests.cell(rendering, "steer-2")
        guard case let .table(mirror)? = negated.outputs.first else {
            Issue.record("no table")
            return
        }
        #expect(mirror.columns[3] == "negated" && mirror.caption.contains("the same pattern negated"))
        #expect(mirror.caption.contains("in proportion to the image's own map"))

        guard case let .failed(alpha) = try tests.cell(rendering, "steer-3").status,
            case let .failed(model) = try tests.cell(rendering, "steer-4").status
        else {
            Issue.record("bad options must fail their cells")
            return
        }
        #expect(alpha.contains(":alphas:") && alpha.contains("'lots'"))

        // The network's picture of a sentence: the objective (the layer's dot product with the
        // sentence's pattern) rises over the steps.
        let picture = try tests.cell(rendering, "visualize-1")
        #expect(picture.status == .ok)
        guard picture.outputs.count == 2, case let .image(image) = picture.outputs[0], case let .chart(chart) = picture.outputs[1],
            let values = chart.series.first?.y, let first = values.first, let last = values.last
        else {
            Issue.record("expected an image and a chart, found \(picture.outputs)")
            return
        }
        #expect(image.caption.contains("“a striped tiger in the grass” through _blocks.15") && image.caption.contains("coupled channels"))
        #expect(last > first, "the objective went from \(first) to \(last)")
        guard case let .failed(noAdaptor) = try tests.cell(rendering, "visualize-2").status,
            case let .failed(both) = try tests.cell(rendering, "visualize-3").status
        else {
            Issue.record("a sentence without an adaptor, or with a target, must fail its cell")
            return
        }
        #expect(noAdaptor.contains("':sentence:' needs ':adaptor:'"))
        #expect(both.contains("either ':target:' or ':sentence:'"))
        #expect(model.contains(":adaptor:") && model.contains("other weights"), "\(model)")
    }
}
