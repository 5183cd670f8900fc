import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels
import Testing

@testable import LoupeNotebook

/// `{visualize}` and `{dream}` on the store's Lite0 and a real photo: the images against the
/// library's own results, charts that climb, captions, and errors in place.
@Suite(.serialized) struct VisualizationDirectiveTests {
    let notebook = DirectiveTests()

    func chart(_ result: CellResult) throws -> Chart {
        for case let .chart(chart) in result.outputs { return chart }
        Issue.record("no chart in \(result.id)")
        throw CellError.invalid("no chart")
    }

    @Test func visualizeShowsTheImageAndTheLogitPerStep() throws {
        let rendering = try notebook.render(
            """
            ```{model} net
            ```

            ```{visualize}
            :target: flamingo
            :steps: 20
            :size: 96
            :seed: 3
            ```

            ```{visualize}
            :target: 130
            :parameterization: fourier
            :steps: 12
            :size: 64
            :jitter: 4
            :scale: 0.05
            :rotate: 5
            ```
            """)
        let pixel = try notebook.cell(rendering, "visualize-1")
        #expect(pixel.status == .ok)
        guard case let .image(image)? = pixel.outputs.first else {
            Issue.record("expected the image first, found \(pixel.outputs)")
            return
        }
        // The cell's image is exactly the library's for the same settings.
        let model = try Model(named: "efficientnet-lite0")
        var settings = VisualizationSettings()
        settings.steps = 20
        settings.size = 96
        settings.seed = 3
        let expected = try model.visualize(try .classLogit(130, model: model), settings: settings)
        #expect(try RGBImage(data: image.png, name: "cell") == expected.image)
        #expect(
            image.caption.hasPrefix(
                "Class visualisation (pixels) of logit of flamingo (130) in efficientnet-lite0: 20 Adam steps, lr 0.05, seed 3, L2 0.001, 96×96"
            ))
        #expect(image.caption.contains(String(format: "%.2f for this image", expected.imageValue)))
        let logits = try chart(pixel)
        #expect(logits.series.count == 1 && logits.xLabel == "step" && logits.yLabel == "logit")
        let values = try #require(logits.series.first?.y)
        #expect(values == expected.values.map(Double.init))
        let (early, late): (Double, Double) = (values.prefix(5).reduce(0, +) / 5, values.suffix(5).reduce(0, +) / 5)
        #expect(late > early + 10, "the logit climbs: \(values)")

        let fourier = try notebook.cell(rendering, "visualize-2")
        #expect(fourier.status == .ok)
        guard case let .image(smooth)? = fourier.outputs.first else { return }
        #expect((smooth.width, smooth.height) == (64, 64))
        #expect(
            smooth.caption.contains("Feature visualisation (Fourier, decorrelated)")
                && smooth.caption.contains("pad 6, jitter 4, scale 0.95…1.05, rotate -5…5°, jitter 2"))
        #expect(!smooth.caption.contains("L2"), "no L2 by default with the Fourier parameterisation")
        let climb = try #require(try chart(fourier).series.first?.y)
        #expect(climb.count == 12 && (climb.last ?? 0) > (climb.first ?? 0) + 3, "\(climb)")
    }

    @Test func visualizeReportsBadTargetsAndSettingsInPlace() throws {
        let rendering = try notebook.render(
            """
            ```{model} net
            ```

            ```{visualize}
            :target: flamingoo
            :steps: 1
            ```

            ```{visualize}
            :target: _blocks.10:500
            :steps: 1
            :size: 32
            ```

            ```{visualize}
            :target: 130
            :parameterization: fourier
            :blur: 4
            ```
            """)
        guard case let .failed(label) = try notebook.cell(rendering, "visualize-1").status,
            case let .failed(channel) = try notebook.cell(rendering, "visualize-2").status,
            case let .failed(blur) = try notebook.cell(rendering, "visualize-3").status
        else {
            Issue.record("expected three failed cells")
            return
        }
        #expect(label.contains("'flamingoo'") && label.contains("'flamingo'"), "\(label)")
        #expect(channel.contains("channel 500 is out of range: layer '_blocks.10' has channels 0…111"), "\(channel)")
        #expect(blur.contains("blur"), "\(blur)")
    }

    @Test func dreamShowsBothImagesAndANormPerOctave() throws {
        let rendering = try notebook.render(
            """
            ```{model} net
            ```

            ```{image} dog
            :src: "{{ images }}/dog.jpg"
            :show: false
            ```

            ```{dream}
            :image: dog
            :layer: _blocks.7
            :octaves: 2
            :steps: 4
            :jitter: 4
            ```
            """)
        let dream = try notebook.cell(rendering, "dream-1")
        #expect(dream.status == .ok)
        guard case let .images(images, caption)? = dream.outputs.first else {
            Issue.record("expected two images side by side, found \(dream.outputs)")
            return
        }
        #expect(images.count == 2)
        let original = try RGBImage(data: images[0].png, name: "original"), dreamed = try RGBImage(data: images[1].png, name: "dreamed")
        let model = try Model(named: "efficientnet-lite0")
        let photo = try model.preprocessing.preparedImage(
            from: try RGBImage(contentsOf: DirectiveTests.images.appendingPathComponent("dog.jpg")))
        #expect(original == photo)
        var settings = DeepDreamSettings()
        settings.octaves = 2
        settings.steps = 4
        settings.jitter = 4
        let expected = try model.deepDream(photo, layer: "_blocks.7", settings: settings)
        #expect(dreamed == expected.image)
        #expect(
            caption.hasPrefix(
                "Deep dream on _blocks.7 of efficientnet-lite0, dog.jpg: 2 octaves (160×160, 224×224), 4 steps each of 0.02 · g/mean|g|, jitter 4, seed 0"
            ))
        let norms = try chart(dream)
        #expect(norms.series.map(\.label) == ["octave 1: 160×160", "octave 2: 224×224"])
        #expect(norms.series.map(\.x) == [[0, 1, 2, 3], [4, 5, 6, 7]])
        let full = norms.series[1].y
        #expect((full.last ?? 0) > (full.first ?? 0), "the norm rises within the full-size octave: \(full)")
        #expect(expected.finalNorm > expected.startNorm * 1.2)
    }

    @Test func dreamSuggestsLayerNames() throws {
        let rendering = try notebook.render(
            """
            ```{model} net
            ```

            ```{image} dog
            :src: "{{ images }}/dog.jpg"
            :show: false
            ```

            ```{dream}
            :image: dog
            :layer: _block.7
            :steps: 1
            ```
            """)
        guard case let .failed(message) = try notebook.cell(rendering, "dream-1").status else {
            Issue.record("expected a failed cell")
            return
        }
        #expect(message.contains("_block.7") && message.contains("_blocks.7"), "\(message)")
    }
}
