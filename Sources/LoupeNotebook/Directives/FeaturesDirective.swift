import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{features}`: the feature maps of one named layer for an image, as the lecture shows
/// `model.conv1(x)[0][58]`: chosen channels or the most active ones, as a grid of heatmaps
/// labelled with their channel and mean, with a colour bar (`LoupeInterp.FeatureMaps`).
struct FeaturesDirective: Directive {
    static let name = "features"
    static let summary =
        "Feature maps of a layer for an image: chosen channels or the top-k by mean activation, as labelled heatmaps with a colour bar."
    /// How many channels are shown when the cell chooses neither `channels` nor `top`.
    static let defaultTop = 16
    static let example = """
        ```{features}
        :model: net
        :image: photo
        :layer: conv1
        :top: 8
        ```
        """

    /// How the maps' colours are scaled.
    enum Range: String, ChoiceOption {
        case shared, map
    }

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The image cell; `defaults: image:` can supply it.")
        var image: CellName<LoadedImage>
        @CellOption(
            help:
                "The layer by dotted name, its output exactly as a PyTorch forward hook sees it (`_conv_stem` before batch norm, `_bn0` after it). A module that runs several times (Lite0's `_relu`, a ResNet block's `relu`) means its last call; `name@k` picks call k (`_relu@1` is Lite0's stem activation)."
        )
        var layer: String
        @CellOption(help: "Channels to show: `0-15`, `3,7,58` or a mix.")
        var channels: String?
        @CellOption(
            range: 1...1024,
            help:
                "Show the k channels with the highest mean activation, highest first. Default: \(FeaturesDirective.defaultTop) when `channels` is not given."
        )
        var top: Int?
        @CellOption(
            help:
                "`shared`: one colour range (min to max over the maps shown) for all maps, with its colour bar; `map`: each map from its own min to its own max, as `px.imshow` does."
        )
        var range = Range.shared
        @CellOption(help: "The colour map; `coolwarm` centres zero (±max|value|).")
        var colormap = ColorMap.viridis
        @CellOption(range: 4...512, help: "Maps smaller than this many pixels a side are enlarged by a whole factor (nearest neighbour).")
        var size = 112
        @CellOption(range: 1...64, help: "Maps per row.")
        var columns = 6
        @CellOption(help: "The caption; by default the layer, model, image and how channels were chosen.")
        var caption: String?
    }

    private let modelName: CellName<LoadedModel>
    private let imageName: CellName<LoadedImage>
    private let layer: LayerCall
    private let channels: [Int]?
    private let top: Int
    private let sharedRange: Bool
    private let colorMap: ColorMap
    private let size: Int
    private let columns: Int
    private let caption: String?

    init(_ cell: DirectiveCell<Options>) throws {
        let options = cell.options
        modelName = options.model
        imageName = options.image
        layer = try LayerCall(parsing: options.layer)
        channels = try options.channels.map { try IndexList.parse($0, option: "channels") }
        if channels != nil, options.top != nil {
            throw CellError.invalid("give either :channels: or :top:, not both")
        }
        top = options.top ?? Self.defaultTop
        sharedRange = options.range == .shared
        colorMap = options.colormap
        size = options.size
        columns = options.columns
        caption = options.caption
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(modelName)
        let picture = try context.value(imageName)
        let features = try loaded.model.featureMaps(for: try picture.input(for: loaded.model), layer: layer)
        let maps = try channels.map { try features.maps($0) } ?? features.topChannels(top)

        var range: ClosedRange<Float>?
        if sharedRange {
            let low = maps.map(\.minimum).min() ?? 0, high = maps.map(\.maximum).max() ?? 0
            if colorMap.isDiverging {
                let bound = max(abs(low), abs(high))
                range = bound > 0 ? -bound...bound : -1...1
            } else {
                range = low < high ? low...high : (low - 1)...(high + 1)
            }
        }
        var tiles: [ImageOutput] = []
        var colorBar: Data?
        for map in maps {
            let factor = max(1, size / max(map.height, map.width))
            let enlarged = Resampling.nearest(map.values, from: (map.height, map.width), to: (map.height * factor, map.width * factor))
            var label = "channel \(map.channel) · mean \(Self.format(map.mean))"
            if !sharedRange { label += " · \(Self.format(map.minimum))…\(Self.format(map.maximum))" }
            // Per map: its own min…max; a constant map (a dead channel) takes the lowest colour,
            // not the middle one Heatmap would give it. Diverging maps centre zero themselves.
            var shown = range
            if shown == nil, !colorMap.isDiverging {
                shown = map.minimum < map.maximum ? map.minimum...map.maximum : map.minimum...(map.minimum + 1)
            }
            let heatmap = Heatmap(
                values: enlarged, width: map.width * factor, height: map.height * factor, colorMap: colorMap, range: shown)
            colorBar = try colorBar ?? heatmap.colorBar().pngData()
            // The page says the channel, pixel and activation under the cursor, from the map's own grid.
            let values = try ValueGrid(Heatmap(values: map.values, width: map.width, height: map.height), label: "channel \(map.channel)")
            tiles.append(
                TileGrid.tile(
                    png: try heatmap.colored().pngData(), width: heatmap.width, height: heatmap.height, caption: label,
                    alt: "\(features.caption) \(label)", values: values))
        }
        var outputs = TileGrid.rows(tiles, columns: columns, caption: "")
        if let colorBar {
            let scale =
                range.map {
                    "\(colorMap.rawValue): \(formatValue($0.lowerBound)) (left) to \(formatValue($0.upperBound)) (right), shared by every map"
                }
                ?? "\(colorMap.rawValue): each map from its own \(colorMap.isDiverging ? "−max|value| (left) to +max|value|" : "min (left) to its max") (right)"
            let bar = TileGrid.tile(png: colorBar, width: 256, height: 12, caption: scale, alt: "colour bar, \(scale)")
            outputs.append(.images([bar], caption: caption ?? defaultCaption(features, model: loaded, image: picture, maps: maps)))
        }
        return CellRun(outputs: outputs)
    }

    private func defaultCaption(_ features: FeatureMaps, model: LoadedModel, image: LoadedImage, maps: [FeatureMap]) -> String {
        let shape = features.shape.map(String.init).joined(separator: "×")
        let chosen =
            channels == nil
            ? "the \(maps.count) channels with the highest mean activation (of \(features.channels))"
            : "channels \(IndexList.describe(maps.map(\.channel))) (of \(features.channels))"
        return
            "Feature maps of \(features.caption) (\(features.module), output \(shape)) in \(model.caption) for \(image.source): \(chosen)"
    }

    /// Three significant digits, locale-independent.
    private static func format(_ value: Float) -> String {
        let text = String(format: "%.3g", Double(value))
        return text == "-0" ? "0" : text
    }
}
