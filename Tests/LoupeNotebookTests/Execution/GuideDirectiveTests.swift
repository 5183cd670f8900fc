import Foundation
import Testing

@testable import LoupeNotebook

/// `{guide}` on the real Lite0, MiniLM and the shipped captioned photos.
@Suite struct GuideDirectiveTests {
    let tests = DirectiveTests()

    @Test func aClassRespondsLessToTheSentenceAndTheModelIsPutBack() throws {
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

            ```{guide}
            :adaptor: words
            :sentence: a striped tiger in the grass
            :class: lion
            :controls: a red car on a street; a plate of food on a table
            :steps: 20
            ```

            ```{predict}
            :image: photo
            :top: 3
            ```

            ```{guide}
            :adaptor: words
            :sentence: a striped tiger in the grass
            :class: unicorn
            ```

            ```{guide}
            :model: other
            :adaptor: words
            :sentence: a striped tiger in the grass
            :class: lion
            ```
            """)
        let guided = try tests.cell(rendering, "guide-1")
        #expect(guided.status == .ok)
        guard guided.outputs.count == 2, case let .chart(curve) = guided.outputs[0], case let .table(effects) = guided.outputs[1] else {
            Issue.record("expected a chart and a table, found \(guided.outputs)")
            return
        }
        // The mean log-probability of lion with the sentence goes down over the steps.
        let logP = try #require(curve.series.first?.y)
        #expect(logP.count >= 2 && logP.last! < logP.first!, "\(logP)")
        // Rows: trained, held out, no sentence, two controls; columns end with before, after, ratio.
        #expect(effects.rows.map { $0[0] }.count == 5)
        let before = effects.rows.map { Double($0[2]) ?? -1 }, after = effects.rows.map { Double($0[3]) ?? -1 }
        #expect(after[0] < before[0] && after[1] < before[1], "the sentence's effect on lion must drop: \(effects.rows)")
        #expect(after[1] < 0.8 * before[1], "held out: \(effects.rows[1])")
        // Without the sentence, lion's probability moves much less than with it.
        #expect(abs(after[2] - before[2]) < 0.1 * abs(after[1] - before[1]), "\(effects.rows)")
        #expect(effects.caption.contains("agrees with the original model's on"))

        // The model is the original again for the cells after it.
        let first = try tests.cell(rendering, "predict-1"), second = try tests.cell(rendering, "predict-2")
        #expect(first.outputs == second.outputs)

        guard case let .failed(unknown) = try tests.cell(rendering, "guide-2").status,
            case let .failed(other) = try tests.cell(rendering, "guide-3").status
        else {
            Issue.record("an unknown class and an adaptor for other weights must fail their cells")
            return
        }
        #expect(unknown.contains(":class:") && unknown.contains("unicorn"), "\(unknown)")
        #expect(other.contains(":adaptor:") && other.contains("other weights"), "\(other)")
    }

    @Test func channelsLearnTheSentenceOnHeldOutPhotos() throws {
        let rendering = try tests.render(
            """
            ```{model} net
            :name: efficientnet-lite0
            ```

            ```{couple} words
            :layer: _blocks.15
            :captions: {{ images }}/coupling/captions.json
            :crops: 1
            :permutations: 50
            ```

            ```{guide}
            :mode: sensitise
            :adaptor: words
            :sentence: a bird with spread wings
            :channels: 0, 1, 2
            :crops: 1
            :steps: 30
            :learning-rate: 3e-4
            :retention: 10
            ```

            ```{guide}
            :mode: sensitise
            :adaptor: words
            :sentence: a bird with spread wings
            :channels: 0, 999
            ```

            ```{guide}
            :mode: sensitise
            :adaptor: words
            :sentence: a bird with spread wings
            ```
            """)
        let taught = try tests.cell(rendering, "guide-1")
        #expect(taught.status == .ok)
        guard taught.outputs.count == 2, case let .chart(curve) = taught.outputs[0], case let .table(table) = taught.outputs[1] else {
            Issue.record("expected a chart and a table, found \(taught.outputs)")
            return
        }
        #expect(curve.series.count == 3 && !(curve.series.first?.y.isEmpty ?? true))
        #expect(table.rows.map { $0[0] } == ["described by the sentence", "the others"])
        let change = table.rows.map { Double($0[4]) ?? .nan }
        // The held-out photos the sentence describes gain more than the others.
        #expect(change[0] > change[1], "\(table.rows)")
        #expect(table.caption.contains("AUC"))

        guard case let .failed(range) = try tests.cell(rendering, "guide-2").status,
            case let .failed(missing) = try tests.cell(rendering, "guide-3").status
        else {
            Issue.record("channels out of range, or none, must fail their cells")
            return
        }
        #expect(range.contains(":channels:") && range.contains("[0, 999]"), "\(range)")
        #expect(missing.contains(":channels:"), "\(missing)")
    }
}
