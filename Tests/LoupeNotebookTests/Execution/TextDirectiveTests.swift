import Foundation
import LoupeImage
import Testing

@testable import LoupeNotebook

/// `{concepts}`, `{embed}` and `{similarity}` on the real text encoder and vocabularies.
@Suite struct TextDirectiveTests {
    let tests = DirectiveTests()

    @Test func sentencesAreEmbeddedAndCompared() throws {
        let rendering = try tests.render(
            """
            ```{embed} pets
            a dog sitting on a bench
            a puppy playing in the grass
            a tax form on a desk
            ```

            ```{concepts} classes
            :vocabulary: imagenet
            :show: 3
            ```

            ```{similarity}
            :rows: pets
            :columns: classes
            :top: 2
            ```

            ```{similarity}
            :rows: pets
            ```
            """)
        let pets = try tests.cell(rendering, "pets")
        #expect(pets.status == .ok)
        guard case let .table(sentences)? = pets.outputs.first else { Issue.record("no table"); return }
        // The dog and the puppy are each other's nearest; the tax form is far from both.
        #expect(sentences.rows[0][2] == "a puppy playing in the grass")
        #expect(sentences.rows[1][2] == "a dog sitting on a bench")
        let dogPuppy = try #require(Float(sentences.rows[0][3])), formDog = try #require(Float(sentences.rows[2][3]))
        #expect(dogPuppy > 0.4 && formDog < 0.2 && dogPuppy > formDog + 0.2)

        let classes = try tests.cell(rendering, "classes")
        guard case let .table(listed)? = classes.outputs.first else { Issue.record("no concepts table"); return }
        #expect(listed.rows.map { $0[1] } == ["tench", "goldfish", "great white shark"])
        #expect(listed.caption.contains("1000 from imagenet"))

        let matched = try tests.cell(rendering, "similarity-1")
        #expect(matched.status == .ok)
        guard case let .table(closest)? = matched.outputs.first else { Issue.record("no similarity table"); return }
        #expect(closest.rows.count == 3 && closest.rows[0].count == 3)
        // Among 1000 classes, a dog on a bench is closest to a dog breed or a bench, not a fish.
        #expect(matched.outputs.count == 1, "no heatmap for a 3 × 1000 matrix")

        let square = try tests.cell(rendering, "similarity-2")
        guard square.outputs.count == 2, case let .heatmap(map) = square.outputs[1] else {
            Issue.record("expected a table and a heatmap, found \(square.outputs)")
            return
        }
        #expect(map.width == map.height && map.width >= 3 * 8)
        #expect(map.heatmap.values.max() ?? 0 > 0.999, "the diagonal is 1")
    }

    @Test func aVocabularyFileRelativeToTheNotebookAndItsErrors() throws {
        let folder = try temporaryFolder()
        try "striped fur\nspotted fur\n".write(to: folder.appendingPathComponent("fur.txt"), atomically: true, encoding: .utf8)
        try "dog\n\ncat\n".write(to: folder.appendingPathComponent("blank.txt"), atomically: true, encoding: .utf8)
        let url = folder.appendingPathComponent("nb.md")
        try """
        ```{concepts} fur
        :vocabulary: fur.txt
        ```

        ```{concepts} bad
        :vocabulary: blank.txt
        ```

        ```{embed} empty
        ```
        """.write(to: url, atomically: true, encoding: .utf8)
        let rendering = try NotebookRendering(notebook: url, displayPath: "nb.md", cache: nil)
        #expect(try tests.cell(rendering, "fur").status == .ok)
        guard case let .failed(blank) = try tests.cell(rendering, "bad").status,
            case let .failed(empty) = try tests.cell(rendering, "empty").status
        else {
            Issue.record("the blank-line vocabulary and the empty {embed} must fail")
            return
        }
        #expect(blank.contains("line 2 is blank"))
        #expect(empty.contains("needs sentences in the cell's body"))
    }
}
