import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels
import Testing

@testable import LoupeNotebook

/// `{filters}` and `{features}` on the store's Lite0 and a real photo: tile pixels against the
/// weights and activations computed here, captions, rows, and errors in place.
@Suite(.serialized) struct FeatureDirectiveTests {
    static let lite0: Result<Model, Error> = Result { try Model(named: "efficientnet-lite0") }
    let notebook = DirectiveTests()

    /// The `.images` rows of a cell, in order.
    func imageRows(_ result: CellResult) -> [(images: [ImageOutput], caption: String)] {
        result.outputs.compactMap { output in
            if case let .images(images, caption) = output { return (images, caption) }
            return nil
        }
    }

    func decode(_ image: ImageOutput) throws -> RGBImage {
        try RGBImage(data: image.png, name: image.caption)
    }

    @Test func filtersDrawsTheFirstConvolutionsFiltersAsRGBTiles() throws {
        let rendering = try notebook.render(
            """
            ```{model} net
            ```

            ```{filters}
            :filters: 0-9
            :columns: 4
            ```

            ```{filters}
            :layer: _blocks.5._expand_conv
            :filters: 5
            :inputs: 0-3
            :scale: shared
            ```

            ```{filters}
            :layer: _bn0
            ```

            ```{filters}
            :filters: 3,40
            ```
            """)
        let grid = try notebook.cell(rendering, "filters-1")
        #expect(grid.status == .ok)
        let rows = imageRows(grid)
        #expect(rows.map(\.images.count) == [4, 4, 2], "columns: 4")
        #expect(rows.flatMap(\.images).map(\.caption) == (0..<10).map { "Filter \($0)" })
        #expect(rows.dropLast().allSatisfy { $0.caption.isEmpty })
        let caption = try #require(rows.last?.caption)
        #expect(caption.contains("Weights of _conv_stem in efficientnet-lite0") && caption.contains("filters 0–9"))
        #expect(caption.contains("3×3 RGB tiles") && caption.contains("each filter min–max scaled to 0…1"))

        // Every pixel of filter 7's tile: 48 / 3 = 16 pixels per weight, weight [7, c, y, x] as channel c.
        let model = try Self.lite0.get()
        let weight = try model.convolution(named: "_conv_stem").weight.tensor.scalars
        let filter = Array(weight[(7 * 27)..<(8 * 27)])
        let low = filter.min() ?? 0, high = filter.max() ?? 0
        let tile = try decode(rows[1].images[3])
        #expect((tile.width, tile.height) == (48, 48))
        #expect(rows[1].images[3].alt.hasPrefix(TileGrid.altPrefix))
        for y in 0..<48 {
            for x in 0..<48 {
                let pixel = tile.pixel(x: x, y: y)
                for c in 0..<3 {
                    let expected = UInt8(((filter[c * 9 + (y / 16) * 3 + x / 16] - low) / (high - low + 1e-8) * 255).rounded())
                    #expect(pixel[c] == expected, "(\(x), \(y)) channel \(c)")
                }
            }
        }

        let deeper = try notebook.cell(rendering, "filters-2")
        #expect(deeper.status == .ok)
        let deeperTiles = imageRows(deeper).flatMap(\.images)
        #expect(deeperTiles.map(\.caption) == ["filter 5, input 0", "filter 5, input 1", "filter 5, input 2", "filter 5, input 3"])
        // 1×1 kernels enlarged to 48 pixels, grey at w / (2 max|w|) + 0.5 over the whole layer.
        let expand = try model.convolution(named: "_blocks.5._expand_conv").weight.tensor.scalars
        let bound = expand.map(abs).max() ?? 1
        for (i, image) in deeperTiles.enumerated() {
            let picture = try decode(image)
            #expect((picture.width, picture.height) == (48, 48))
            let grey = UInt8(((expand[5 * 40 + i] / (2 * bound) + 0.5) * 255).rounded())
            #expect(picture.pixel(x: 20, y: 30) == SIMD3(repeating: grey))
        }
        #expect(imageRows(deeper).last?.caption.contains("input channels 0–3 (of 40)") == true)

        guard case let .failed(notConv) = try notebook.cell(rendering, "filters-3").status,
            case let .failed(range) = try notebook.cell(rendering, "filters-4").status
        else {
            Issue.record("a layer that is no convolution and a filter out of range must fail their cells")
            return
        }
        #expect(notConv.contains("layer '_bn0' is BatchNorm2d") && notConv.contains("not a convolution"))
        #expect(range.contains("filter 40 is out of range: layer '_conv_stem' has filters 0…31"))
    }

    @Test func featuresShowsTheTopChannelsOnASharedColourScale() throws {
        let rendering = try notebook.render(
            """
            ```{model} net
            ```

            ```{image} dog
            :src: "{{ images }}/dog.jpg"
            :show: false
            ```

            ```{features}
            :image: dog
            :layer: _conv_stem
            :top: 4
            :columns: 3
            ```

            ```{features}
            :image: dog
            :layer: _relu@1
            :channels: 7,3
            :range: map
            ```

            ```{features}
            :image: dog
            :layer: _relu@3
            ```

            ```{features}
            :image: dog
            :layer: _conv_stem
            :channels: 1
            :top: 2
            ```
            """)
        let model = try Self.lite0.get()
        let photo = try RGBImage(contentsOf: DirectiveTests.images.appendingPathComponent("dog.jpg"))
        let features = try model.featureMaps(for: try model.preprocessing.tensor(from: photo), layer: LayerCall(name: "_conv_stem"))
        let top = try features.topChannels(4)

        let cell = try notebook.cell(rendering, "features-1")
        #expect(cell.status == .ok)
        let rows = imageRows(cell)
        #expect(rows.map(\.images.count) == [3, 1, 1], "two rows of maps, then the colour bar")
        let maps = rows.dropLast().flatMap(\.images)
        #expect(maps.map(\.caption) == top.map { "channel \($0.channel) · mean \(String(format: "%.3g", Double($0.mean)))" })
        let low = top.map(\.minimum).min() ?? 0, high = top.map(\.maximum).max() ?? 0
        // Every pixel of the first map is its activation on the shared viridis scale.
        let first = try decode(maps[0])
        #expect((first.width, first.height) == (112, 112))
        for y in stride(from: 0, to: 112, by: 7) {
            for x in stride(from: 0, to: 112, by: 5) {
                let value = top[0].values[y * 112 + x]
                #expect(first.pixel(x: x, y: y) == ColorMap.viridis.rgb((value - low) / (high - low)), "(\(x), \(y))")
            }
        }
        // Each map carries its own activations for the page's probe: the channel, and every value
        // within half of 1/255 of the map's extent.
        let grid = try #require(maps[0].values)
        #expect(grid.label == "channel \(top[0].channel)")
        #expect(grid.range == top[0].minimum...top[0].maximum)
        let bytes = try decode(ImageOutput(png: grid.png, width: 112, height: 112, caption: "", alt: ""))
        let step = (grid.range.upperBound - grid.range.lowerBound) / 255
        for y in stride(from: 0, to: 112, by: 9) {
            for x in stride(from: 0, to: 112, by: 11) {
                let shown = grid.range.lowerBound + Float(bytes.pixel(x: x, y: y).x) * step
                #expect(abs(shown - top[0].values[y * 112 + x]) <= step / 2 * 1.001, "(\(x), \(y))")
            }
        }
        let bar = try #require(rows.last)
        #expect(bar.images.first?.values == nil, "the colour bar has no values to probe")
        #expect(bar.images.first?.caption == "viridis: \(formatValue(low)) (left) to \(formatValue(high)) (right), shared by every map")
        #expect((bar.images.first?.width, bar.images.first?.height) == (256, 12))
        #expect(bar.caption.hasPrefix("Feature maps of _conv_stem (Conv2d(3, 32"))
        #expect(
            bar.caption.contains("output 1×32×112×112") && bar.caption.contains("for dog.jpg")
                && bar.caption.contains("the 4 channels with the highest mean activation (of 32)"))

        let chosen = try notebook.cell(rendering, "features-2")
        #expect(chosen.status == .ok)
        let relu = imageRows(chosen)
        let captions = relu.dropLast().flatMap(\.images).map(\.caption)
        #expect(captions.count == 2 && captions[0].hasPrefix("channel 7 · mean ") && captions[1].hasPrefix("channel 3 · mean "))
        #expect(captions.allSatisfy { $0.contains("…") }, "per-map ranges are in the labels")
        #expect(relu.last?.caption.contains("_relu@1 (call 1 of 2)") == true)
        #expect(relu.last?.images.first?.caption.contains("each map from its own min") == true)

        guard case let .failed(call) = try notebook.cell(rendering, "features-3").status,
            case let .failed(both) = try notebook.cell(rendering, "features-4").status
        else {
            Issue.record("a call the layer does not make and contradictory options must fail their cells")
            return
        }
        #expect(call.contains("layer '_relu' runs 2 times per forward pass: write '_relu@1' … '_relu@2'"))
        #expect(both.contains("give either :channels: or :top:, not both"))
    }
}
