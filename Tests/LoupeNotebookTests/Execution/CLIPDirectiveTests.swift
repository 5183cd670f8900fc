import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeNotebook

/// `{clip}`, `{classify}` and `{typographic}` on the tiny random ViT CLIP of the model tests,
/// with the notebook's photos.
@Suite struct CLIPDirectiveTests {
    let tests = DirectiveTests()

    /// The tiny ViT CLIP of the model tests with its token table grown to CLIP's 49,408 tokens
    /// (seeded random rows beyond its 512), so that CLIP's real tokenizer can feed it; written
    /// once per run as safetensors.
    static let weights = grown("tiny-vit")
    /// The tiny CLIP ResNet (64×64 inputs, width 8), grown the same way.
    static let resnetWeights = grown("tiny-rn")

    static func grown(_ name: String) -> URL {
        let fixture = ReferenceTests.root.appendingPathComponent("Tests/LoupeModelsTests/Fixtures/clip/\(name).safetensors")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "loupe-\(name)-\(ProcessInfo.processInfo.processIdentifier).safetensors")
        do {
            let state = try Checkpoint.load(contentsOf: fixture)
            var rng = SplitMix64(seed: 9)
            var entries: [SafetensorsFile.Entry] = []
            for key in state.keys {
                guard let tensor = state[key] else { continue }
                if key == "token_embedding.weight" {
                    let grown = try Tensor.randomNormal([49_408, tensor.shape[1]], standardDeviation: 0.5, using: &rng).scalars
                    let values = try tensor.scalars + grown.dropFirst(tensor.count)
                    entries.append(.init(name: key, shape: [49_408, tensor.shape[1]], values: Array(values)))
                } else {
                    entries.append(.init(name: key, shape: tensor.shape, values: try tensor.scalars))
                }
            }
            try SafetensorsFile.encode(entries, metadata: ["note": "a tiny random CLIP for tests"]).write(to: url)
        } catch {
            Issue.record("cannot write the test CLIP: \(error)")
        }
        return url
    }

    @Test func zeroShotTypographicAndAttribution() throws {
        let rendering = try tests.render(
            """
            ```{clip} clip
            :weights: \(Self.weights.path)
            :activation: quickgelu
            ```

            ```{image} dog
            :src: "{{ images }}/dog.jpg"
            ```

            ```{image} eagle
            :src: "{{ images }}/eagle.jpg"
            ```

            ```{classify} zeroshot
            :clip: clip
            :images: dog, eagle
            :labels: dog | bird | car
            :templates: a photo of a {}. | a drawing of a {}.
            :top: 3
            ```

            ```{attribute}
            :model: zeroshot
            :image: dog
            :target: bird
            ```

            ```{typographic} labelled
            :model: zeroshot
            :image: dog
            :text: car
            :top: 3
            ```

            ```{predict}
            :model: zeroshot
            :image: labelled
            :top: 3
            ```

            ```{typographic}
            :model: zeroshot
            :image: dog
            :text: car
            :position: 1.5, 0.5
            ```

            ```{classify}
            :clip: clip
            :images: dog
            ```
            """)
        let loaded = try tests.cell(rendering, "clip")
        guard case let .table(model)? = loaded.outputs.first else {
            Issue.record("no model table: \(loaded.status)")
            return
        }
        #expect(model.rows.first == ["note from the file", "a tiny random CLIP for tests"])
        #expect(model.rows.contains { $0 == ["activation", "quickgelu: as asked"] })
        #expect(model.rows.contains { $0[0] == "variant" && $0[1].hasPrefix("ViT (width 128, 2 layers, patch 8, 32 px)") })

        // The table's probabilities are a softmax over the three labels: per image they sum to 1,
        // and the cosine column times the logit scale gives them back.
        let classified = try tests.cell(rendering, "zeroshot")
        guard case let .table(zeroShot)? = classified.outputs.first, case .heatmap? = classified.outputs.dropFirst().first else {
            Issue.record("expected a table and a heatmap: \(classified.status)")
            return
        }
        #expect(zeroShot.rows.count == 6)
        let clip = try CLIPModel(weights: Self.weights, activation: .quickGELU)
        let scale = Double(try clip.logitScale)
        for image in 0..<2 {
            let rows = zeroShot.rows[(image * 3)..<(image * 3 + 3)]
            let probabilities = rows.compactMap { Double($0[3]) }
            #expect(abs(probabilities.reduce(0, +) - 1) < 2e-3, "\(probabilities)")
            let logits = rows.compactMap { Double($0[4]).map { $0 * scale } }
            let top = logits.max() ?? 0
            let softmax = logits.map { Foundation.exp($0 - top) / logits.reduce(0) { $0 + Foundation.exp($1 - top) } }
            #expect(zip(softmax, probabilities).allSatisfy { abs($0 - $1) < 2e-3 }, "\(softmax) vs \(probabilities)")
        }
        #expect(try tests.cell(rendering, "attribute-1").status == .ok)

        // The attack: the photo as the model sees it, a before/after table whose "After" column is
        // what {predict} says of the labelled photo, and two maps.
        let attacked = try tests.cell(rendering, "labelled")
        guard attacked.outputs.count == 4, case .image = attacked.outputs[0], case let .table(change) = attacked.outputs[1],
            case .heatmap = attacked.outputs[2], case .heatmap = attacked.outputs[3]
        else {
            Issue.record("expected an image, a table and two maps: \(attacked.status) \(attacked.outputs.count)")
            return
        }
        #expect(change.caption.contains("before and after writing \"car\""))
        #expect(change.caption.contains("The top label stays") || change.caption.contains("The top label flips"))
        guard case let .table(predicted)? = try tests.cell(rendering, "predict-1").outputs.first else {
            Issue.record("no prediction of the labelled photo")
            return
        }
        #expect(predicted.rows.map { [$0[1], $0[4]] } == change.rows.prefix(3).map { [$0[0], $0[2]] })
        for row in change.rows {
            let (before, after, delta) = (Double(row[1]) ?? .nan, Double(row[2]) ?? .nan, Double(row[3]) ?? .nan)
            #expect(abs(after - before - delta) < 2e-4, "\(row)")
        }

        guard case let .failed(position) = try tests.cell(rendering, "typographic-1").status,
            case let .failed(labels) = try tests.cell(rendering, "classify-1").status
        else {
            Issue.record("bad options must fail their cells")
            return
        }
        #expect(position.contains("`position`") && position.contains("1.5, 0.5"))
        #expect(labels.contains("`labels`"))
    }

    /// CLIP-Dissect of a layer of the real Lite0 with the tiny CLIP reading the shipped photos:
    /// the table's channels are the highest-scoring of the layer, each with its concepts,
    /// median and verdict against the null; asked-for channels come in the order asked;
    /// a missing folder and an unknown layer fail their own cells.
    @Test func dissectLabelsALayersChannelsWithTheirNull() throws {
        let rendering = try tests.render(
            """
            ```{model} net
            :name: efficientnet-lite0
            ```

            ```{clip} clip
            :weights: \(Self.weights.path)
            :activation: quickgelu
            ```

            ```{concepts} words
            :vocabulary: imagenet
            :show: 0
            ```

            ```{dissect}
            :layer: _blocks.15
            :clip: clip
            :folder: {{ images }}/coupling
            :texts: words
            :crops: 1
            :limit: 5
            :examples: 2
            ```

            ```{dissect}
            :layer: _blocks.15
            :clip: clip
            :folder: {{ images }}/coupling
            :texts: words
            :template: a photo of a {}.
            :crops: 1
            :channels: 7, 3
            :top: 2
            :examples: 0
            ```

            ```{dissect}
            :layer: _blocks.15
            :clip: clip
            :folder: {{ images }}/nowhere
            :texts: words
            ```

            ```{dissect}
            :layer: _blocks.99
            :clip: clip
            :folder: {{ images }}/coupling
            :texts: words
            ```
            """)
        let dissected = try tests.cell(rendering, "dissect-1")
        guard case let .table(table)? = dissected.outputs.first else {
            Issue.record("no dissection table: \(dissected.status)")
            return
        }
        #expect(table.columns == ["Channel", "Concepts (SoftWPMI, lift)", "Median", "Against the null"])
        #expect(table.caption.contains("128 probes (64 photos × 2)") && table.caption.contains("top-k 25"))
        #expect(table.caption.contains("of 320 channels beat it"))
        #expect(table.rows.count == 5)
        // Best first: the first concept's score falls down the table and tops the median.
        let best = table.rows.map { row in Double(row[1].split(separator: "(")[1].split(separator: ",")[0]) ?? .nan }
        #expect(best == best.sorted(by: >), "\(best)")
        for (row, score) in zip(table.rows, best) {
            #expect(row[1].split(separator: ";").count == 3)
            #expect((Double(row[2]) ?? .nan) < score)
            #expect(row[3] == "beats it" || row[3] == "within chance")
        }
        // Two photos under the table for each channel.
        #expect(dissected.outputs.count == 6)
        if case let .images(photos, caption) = dissected.outputs[1] {
            #expect(photos.count == 2 && caption.contains("of 128 probes (photos and crops) it responds to most"))
        } else {
            Issue.record("expected photos under the table")
        }
        guard case let .table(asked)? = try tests.cell(rendering, "dissect-2").outputs.first else {
            Issue.record("no table for the asked-for channels")
            return
        }
        #expect(asked.rows.map { $0[0] } == ["7", "3"])
        #expect(asked.rows.allSatisfy { $0[1].split(separator: ";").count == 2 })
        #expect(asked.caption.contains("in \"a photo of a {}.\""))
        guard case let .failed(folder) = try tests.cell(rendering, "dissect-3").status,
            case let .failed(layer) = try tests.cell(rendering, "dissect-4").status
        else {
            Issue.record("a missing folder and an unknown layer must fail their cells")
            return
        }
        #expect(folder.contains(":folder:") && folder.contains("nowhere"), "\(folder)")
        #expect(layer.contains(":layer:") && layer.contains("_blocks.99"), "\(layer)")
    }

    /// The neurons of a CLIP ResNet: dataset examples with their receptive fields (through the
    /// average pools), a feature visualisation with the lecture's transforms (the enlarged
    /// picture centre-cropped back to the 64×64 the tower reads), and text-side probing of a
    /// channel and of a zero-shot logit.
    @Test func clipResNetNeuronsAndWrittenTexts() throws {
        let rendering = try tests.render(
            """
            ```{clip} clip
            :weights: \(Self.resnetWeights.path)
            ```

            ```{image} dog
            :src: "{{ images }}/dog.jpg"
            ```

            ```{classify} zeroshot
            :clip: clip
            :images: dog
            :labels: dog | spider | car
            ```

            ```{examples}
            :model: zeroshot
            :folder: {{ images }}/coupling
            :layer: visual.layer4
            :channel: 3
            :k: 2
            ```

            ```{attribute}
            :model: zeroshot
            :image: dog
            :method: gradcam
            :target: spider
            ```

            ```{visualize}
            :model: zeroshot
            :target: visual.layer4:3
            :parameterization: fourier
            :jitter: 8
            :scale: 0.1
            :rotate: 10
            :steps: 4
            ```

            ```{written}
            :model: zeroshot
            :layer: visual.layer4
            :channel: 3
            :words: spider | web | dog | car | pizza
            :top: 3
            :examples: 2
            ```

            ```{concepts} classes
            :vocabulary: imagenet
            :show: 0
            ```

            ```{written}
            :model: zeroshot
            :layer: classifier
            :channel: 1
            :texts: classes
            :top: 5
            :examples: 0
            ```

            ```{written}
            :model: zeroshot
            :layer: classifier
            :channel: 7
            :words: spider
            ```

            ```{written}
            :model: zeroshot
            :layer: classifier
            :channel: 0
            ```
            """)
        #expect(try tests.cell(rendering, "examples-1").status == .ok)
        // Grad-CAM on the ResNet's last block (the zero-shot model's default CAM layer).
        let cam = try tests.cell(rendering, "attribute-1")
        #expect(cam.status == .ok)
        let maps = cam.outputs.compactMap { output -> HeatmapFigure? in
            if case let .heatmap(map) = output { return map }
            return nil
        }
        #expect(!maps.isEmpty, "no Grad-CAM map among \(cam.outputs.count) outputs")
        #expect(maps.allSatisfy { $0.caption.contains("visual.layer4") }, "\(maps.map(\.caption))")
        let visualized = try tests.cell(rendering, "visualize-1")
        guard case let .image(picture)? = visualized.outputs.first else {
            Issue.record("no picture: \(visualized.status)")
            return
        }
        #expect(picture.width == 64 && picture.height == 64)

        let written = try tests.cell(rendering, "written-1")
        guard case let .table(table)? = written.outputs.first else {
            Issue.record("no table: \(written.status)")
            return
        }
        #expect(table.columns == ["Text", "Activation", "σ", "Anagram", "Its activation"])
        #expect(table.rows.count == 3)
        let values = table.rows.compactMap { Double($0[1]) }
        #expect(values.count == 3 && values == values.sorted(by: >))
        #expect(table.caption.contains("of 5 texts excite the channel more than their anagram"))
        #expect(table.caption.contains("white 64×64 canvas"))
        #expect(written.outputs.count == 2)

        guard case let .table(classes)? = try tests.cell(rendering, "written-2").outputs.first else {
            Issue.record("no table for the vocabulary")
            return
        }
        #expect(classes.rows.count == 5 && classes.caption.contains("each of 1000 texts (imagenet)"))
        guard case let .failed(channel) = try tests.cell(rendering, "written-3").status,
            case let .failed(missing) = try tests.cell(rendering, "written-4").status
        else {
            Issue.record("a channel out of range and a cell without texts must fail")
            return
        }
        #expect(channel.contains(":channel:") && channel.contains("7"), "\(channel)")
        #expect(missing.contains("texts") && missing.contains("words"), "\(missing)")
    }
}
