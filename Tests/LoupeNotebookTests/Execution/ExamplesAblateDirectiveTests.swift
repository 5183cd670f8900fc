import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeNotebook

/// `{examples}` and `{ablate}` on the store's Lite0 and the photos in Notebooks/images, with the
/// folder next to the notebook, checked against `LoupeInterp` and the model run directly.
@Suite(.serialized) struct ExamplesAblateDirectiveTests {
    static let images = ReferenceTests.root.appendingPathComponent("Notebooks/images")
    static let photos = ["chelsea.png", "coffee.png", "dog.jpg", "eagle.jpg"]

    /// A notebook folder holding `nb.md` with `cells` and a `photos/` folder with the four photos.
    func notebook(_ cells: String) throws -> URL {
        let folder = try temporaryFolder()
        let photos = folder.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for name in Self.photos {
            try FileManager.default.copyItem(at: Self.images.appendingPathComponent(name), to: photos.appendingPathComponent(name))
        }
        let url = folder.appendingPathComponent("nb.md")
        try "---\ndefaults:\n  model: net\n---\n```{model} net\n```\n\n\(cells)".write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func render(_ url: URL) throws -> NotebookRendering {
        try NotebookRendering(notebook: url, displayPath: "nb.md", cache: nil)
    }

    func cell(_ rendering: NotebookRendering, _ id: String) throws -> CellResult {
        try #require(rendering.report.cells.first { $0.id == id }, "no cell \(id)")
    }

    func failure(_ rendering: NotebookRendering, _ id: String) throws -> String {
        if case let .failed(message) = try cell(rendering, id).status { return message }
        return "not failed: \(try cell(rendering, id).status)"
    }

    @Test func examplesRankThePhotosAndCutTheirPatches() throws {
        let url = try notebook(
            """
            ```{examples}
            :folder: photos
            :layer: _blocks.9
            :channel: 17
            :k: 3
            ```
            """)
        let rendering = try render(url)
        let examples = try cell(rendering, "examples-1")
        #expect(examples.status == .ok)
        guard examples.outputs.count == 2, case let .images(top, caption) = examples.outputs[0],
            case let .images(patches, patchCaption) = examples.outputs[1]
        else {
            Issue.record("expected two image grids, found \(examples.outputs)")
            return
        }
        let model = try Model(named: "efficientnet-lite0")
        let files = Self.photos.map { url.deletingLastPathComponent().appendingPathComponent("photos/\($0)") }
        let expected = try DatasetExamples(model: model, layer: "_blocks.9", channel: 17, files: files, count: 3)
        #expect(top.count == 3)
        #expect(
            top.map(\.caption) == expected.examples.enumerated().map { "\($0 + 1). \($1.name): max \(String(format: "%.3f", $1.score))" })
        #expect(
            caption.hasPrefix(
                "Top 3 of 4 images in photos for channel 17 of _blocks.9 (efficientnet-lite0), by the channel's maximum activation"))
        #expect(caption.contains("receptive field (\(expected.receptiveField.vertical.size) px, stride 16)"))
        // The grid shows the model's view with the field outlined; outside the frame the pixels
        // are the photo's.
        for (output, example) in zip(top, expected.examples) {
            let shown = try RGBImage(data: output.png, name: output.caption)
            #expect((shown.width, shown.height) == (224, 224))
            #expect(shown == (try ExamplesDirective.outlined(example.image, example.region)))
            let r = example.region
            #expect(shown.pixel(x: r.left, y: r.top) == SIMD3(255, 214, 0))
            if r.top > 0 { #expect(shown.pixel(x: r.left, y: r.top - 1) == example.image.pixel(x: r.left, y: r.top - 1)) }
        }
        #expect(patches.count == 3)
        for (output, example) in zip(patches, expected.examples) {
            let shown = try RGBImage(data: output.png, name: output.caption)
            let factor = max(1, 96 / max(example.patch.width, example.patch.height))
            #expect((shown.width, shown.height) == (example.patch.width * factor, example.patch.height * factor))
            #expect(shown.pixel(x: shown.width - 1, y: 0) == example.patch.pixel(x: example.patch.width - 1, y: 0))
            #expect(output.caption == "\(example.name) at \(example.location), \(example.region.width)×\(example.region.height) px")
        }
        #expect(patchCaption.hasPrefix("Receptive-field patches around each maximum of channel 17 of _blocks.9"))
        #expect(rendering.report.provenance.images.map(\.path).sorted() == Self.photos.map { "photos/\($0)" })
    }

    @Test func examplesRowsHaveEqualLengths() throws {
        let image = ImageOutput(png: Data(), width: 1, height: 1, caption: "", alt: "")
        for (count, lengths) in [
            (1, [1]), (4, [4]), (5, [3, 2]), (6, [3, 3]), (7, [4, 3]), (9, [3, 3, 3]), (64, Array(repeating: 4, count: 16)),
        ] {
            let rows = ExamplesDirective.rows(Array(repeating: image, count: count), caption: "all")
            let shape = rows.map { output -> Int in
                if case let .images(row, _) = output { return row.count }
                return -1
            }
            #expect(shape == lengths, "\(count) images")
            guard case let .images(_, caption)? = rows.last else { continue }
            #expect(caption == "all")
        }
    }

    @Test func examplesCacheKeyFollowsThePhotosBytes() throws {
        let url = try notebook(
            """
            ```{examples}
            :folder: photos
            :layer: _conv_head
            :channel: 0
            :patches: false
            :score: mean
            ```
            """)
        let planner = Planner()
        let base = url.deletingLastPathComponent()
        let text = try String(contentsOf: url, encoding: .utf8)
        let key = { try #require(planner.plan(text, source: "nb.md", baseDirectory: base).cells.last?.cacheKey) }
        let first = try key()
        #expect(try key() == first)
        let photo = base.appendingPathComponent("photos/eagle.jpg")
        var bytes = try Data(contentsOf: photo)
        bytes[bytes.count - 3] ^= 0xFF
        try bytes.write(to: photo)
        let changed = try key()
        #expect(changed != first, "a changed photo changes the key")
        try Data(contentsOf: Self.images.appendingPathComponent("dog.jpg")).write(to: base.appendingPathComponent("photos/dog2.jpg"))
        #expect(try key() != changed, "an added photo changes the key")

        let rendering = try render(url)
        let examples = try cell(rendering, "examples-1")
        #expect(examples.status == .ok)
        #expect(examples.outputs.count == 2, "two rows, no patches")
        let rows = examples.outputs.compactMap { output -> [ImageOutput]? in
            if case let .images(row, _) = output { return row }
            return nil
        }
        #expect(rows.map(\.count) == [3, 2], "k 6, five photos, in rows of equal length")
        let top = rows.flatMap { $0 }
        #expect(top.allSatisfy { $0.caption.contains(": mean ") })
    }

    @Test func examplesReportUnreadableFilesAndBadOptions() throws {
        let url = try notebook(
            """
            ```{examples}
            :folder: photos
            :layer: _conv_head
            :channel: 2
            :k: 2
            ```

            ```{examples}
            :folder: photos
            :layer: _blocks.9._project_cnv
            :channel: 0
            ```

            ```{examples}
            :folder: photos
            :layer: _conv_head
            :channel: 1280
            ```

            ```{examples}
            :folder: nowhere
            :layer: _conv_head
            :channel: 0
            ```

            ```{examples}
            :folder: empty
            :layer: _conv_head
            :channel: 0
            ```
            """)
        let base = url.deletingLastPathComponent()
        try Data("not an image".utf8).write(to: base.appendingPathComponent("photos/broken.jpg"))
        try FileManager.default.createDirectory(at: base.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let rendering = try render(url)
        let first = try cell(rendering, "examples-1")
        #expect(first.status == .ok)
        guard case let .table(skipped)? = first.outputs.last else {
            Issue.record("expected the skipped files, found \(first.outputs)")
            return
        }
        #expect(skipped.caption == "1 file in photos could not be read and was skipped")
        #expect(skipped.rows.map { $0[0] } == ["broken.jpg"])
        #expect(skipped.rows.first?[1].hasPrefix("not a PNG or JPEG image") == true)
        #expect(
            try failure(rendering, "examples-2").hasPrefix(
                "option ':layer:': efficientnet-lite0 has no layer named \"_blocks.9._project_cnv\"; did you mean"))
        #expect(try failure(rendering, "examples-2").contains("\"_blocks.9._project_conv\""))
        #expect(
            try failure(rendering, "examples-3")
                == "option ':channel:': channel 1280 is out of range: layer '_conv_head' has channels 0…1279")
        #expect(try failure(rendering, "examples-4") == "option ':folder:': cannot read 'nowhere': no such folder")
        #expect(try failure(rendering, "examples-5") == "option ':folder:': 'empty' holds no .jpg, .jpeg or .png files")
    }

    @Test func ablateListsTheTopClassesBeforeAndAfter() throws {
        let url = try notebook(
            """
            ```{image} dog
            :src: photos/dog.jpg
            :show: false
            ```

            ```{ablate}
            :image: dog
            :layer: _relu
            :channels: 3, 100-102
            ```

            ```{ablate}
            :image: dog
            :layer: _blocks.15
            :find: true
            ```
            """)
        let rendering = try render(url)
        let model = try Model(named: "efficientnet-lite0")
        let input = try model.preprocessing.tensor(
            from: try RGBImage(contentsOf: url.deletingLastPathComponent().appendingPathComponent("photos/dog.jpg")))

        let chosen = try cell(rendering, "ablate-1")
        #expect(chosen.status == .ok)
        guard case let .table(table)? = chosen.outputs.first else {
            Issue.record("expected a table, found \(chosen.outputs)")
            return
        }
        let expected = try ChannelAblator(model: model, layer: "_relu").ablate([3, 100, 101, 102], input: input)
        #expect(table.columns == AblateDirective.columns)
        #expect(table.caption == "Top-5 classes of efficientnet-lite0 for dog.jpg before and after zeroing channels 3, 100–102 of _relu")
        #expect(table.rows.count == 5)
        #expect(table.rows.map { $0[1] } == expected.before.map { "\($0.label) (\($0.index))" })
        #expect(table.rows.map { $0[4] } == expected.after.map { "\($0.label) (\($0.index))" })
        #expect(table.rows.first?[1] == "German shepherd (235)")
        #expect(table.rows.map { Float($0[5]) ?? 0 } == expected.after.map { Float(String(format: "%.3f", $0.logit)) ?? 1 })

        let found = try cell(rendering, "ablate-2")
        #expect(found.status == .ok)
        guard found.outputs.count == 2, case let .table(beforeAfter) = found.outputs[0], case let .table(set) = found.outputs[1] else {
            Issue.record("expected two tables, found \(found.outputs)")
            return
        }
        let summary = set.caption
        let search = try ChannelAblator(model: model, layer: "_blocks.15").search(input: input)
        let channels = search.channels
        #expect(!channels.isEmpty)
        #expect(set.rows.map { Int($0[0]) ?? -1 } == channels)
        #expect(beforeAfter.rows.first?[1] == "German shepherd (235)")
        #expect(beforeAfter.rows.first?[4] != "German shepherd (235)", "the found set changes the top class")
        #expect(
            summary.hasPrefix(
                "Zeroing \(AblateDirective.channelList(channels)) of _blocks.15 changes the top class of efficientnet-lite0 for dog.jpg from German shepherd (235) to "
            ))
        #expect(set.rows.first?[1] == "1", "the first channel of the ranking")
        let drop = search.ranking.first { $0.channel == channels[0] }?.estimatedMarginDrop ?? 0
        #expect(set.rows.first?[2] == String(format: "%.3f", drop))
        #expect(
            summary.contains(
                channels.count == 1
                    ? "giving it back restores German shepherd (235)" : "giving back any one of them restores German shepherd (235)"))
    }

    @Test func ablateRejectsBadOptionsByName() throws {
        let url = try notebook(
            """
            ```{image} dog
            :src: photos/dog.jpg
            :show: false
            ```

            ```{ablate}
            :image: dog
            :layer: _blocks.15
            ```

            ```{ablate}
            :image: dog
            :layer: _blocks.15
            :channels: 1
            :find: true
            ```

            ```{ablate}
            :image: dog
            :layer: _blocks.15
            :channels: 1, x-3
            ```

            ```{ablate}
            :image: dog
            :layer: _blocks.15
            :channels: 2, 320
            ```

            ```{ablate}
            :image: dog
            :layer: _blocks.15._projct_conv
            :channels: 1
            ```
            """)
        let rendering = try render(url)
        #expect(try failure(rendering, "ablate-1") == "'{ablate}' needs ':channels:' (for example `3, 17, 40-43`) or ':find: true'")
        #expect(try failure(rendering, "ablate-2") == "set either ':channels:' or ':find: true', not both")
        #expect(
            try failure(rendering, "ablate-3")
                == "option ':channels:' '1, x-3': 'x-3' is not a range of non-negative integers; write indices like 3,7,58 or ranges like 0-31"
        )
        #expect(
            try failure(rendering, "ablate-4") == "option ':channels:': channel 320 is out of range: layer '_blocks.15' has channels 0…319")
        #expect(
            try failure(rendering, "ablate-5").hasPrefix(
                "option ':layer:': efficientnet-lite0 has no layer named \"_blocks.15._projct_conv\"; did you mean"))
    }
}
