import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{filters}`: a convolution's weights as a grid of small pictures, as the lecture plots
/// `model.conv1.weight` ("Filter 58").
///
/// The first convolution gives one RGB tile per filter, a depthwise one a grey tile per filter,
/// deeper ones a grey tile per input channel of the chosen filters (`LoupeInterp.FilterGrid`).
struct FiltersDirective: Directive {
    static let name = "filters"
    static let summary =
        "A convolution's weights as pictures: one RGB tile per filter for the first layer, one tile per input channel for deeper ones."
    /// At most this many filters (or input channels) are shown when the cell does not choose.
    static let defaultLimit = 64
    static let example = """
        ```{filters}
        :model: net
        :layer: conv1
        :filters: 0-31
        :scale: filter
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The convolution, by dotted name (`conv1`, `_blocks.3._depthwise_conv`). Default: the model's first convolution.")
        var layer: String?
        @CellOption(
            help:
                "Filters (output channels): `0-31`, `3,7,58` or a mix. Default: the first \(FiltersDirective.defaultLimit) for layers with one tile per filter, filter 0 for deeper layers."
        )
        var filters: String?
        @CellOption(
            help:
                "Deeper layers: the input channels shown for each filter, written like `filters`. Default: the first \(FiltersDirective.defaultLimit). Given for the first layer, shows its colour channels as grey tiles."
        )
        var inputs: String?
        @CellOption(
            help:
                "`filter`: each filter min–max scaled to 0…1 (the lecture's); `shared`: one scale for the whole layer, 0 at mid-grey, ±max|w| at the ends."
        )
        var scale = FilterGrid.Scale.filter
        @CellOption(
            range: 4...512,
            help: "Tile side in pixels: each weight becomes a square block of ⌊size / kernel⌋ pixels (nearest neighbour; at least 1).")
        var size = 48
        @CellOption(range: 1...64, help: "Tiles per row.")
        var columns = 8
        @CellOption(
            help:
                "Colours of single-channel tiles (RGB tiles show their own colours); `coolwarm` with `scale: shared` shows negative weights blue and positive red."
        )
        var colormap = ColorMap.gray
        @CellOption(help: "The caption; by default the layer, model, filters, kernel and scaling.")
        var caption: String?
    }

    private let modelName: CellName<LoadedModel>
    private let layer: String?
    private let filters: [Int]?
    private let inputs: [Int]?
    private let scale: FilterGrid.Scale
    private let size: Int
    private let columns: Int
    private let colorMap: ColorMap
    private let caption: String?

    init(_ cell: DirectiveCell<Options>) throws {
        let options = cell.options
        modelName = options.model
        layer = options.layer.map { $0.trimmingCharacters(in: .whitespaces) }
        filters = try options.filters.map { try IndexList.parse($0, option: "filters") }
        inputs = try options.inputs.map { try IndexList.parse($0, option: "inputs") }
        scale = options.scale
        size = options.size
        columns = options.columns
        colorMap = options.colormap
        caption = options.caption
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(modelName)
        let model = loaded.model
        guard let layerName = layer ?? model.convolutionNames.first else {
            throw CellError.invalid("\(loaded.caption) has no convolution layer")
        }
        let conv = try model.convolution(named: layerName)
        let (outCount, inCount) = (conv.outputChannels, conv.inputChannels / conv.groups)
        let perInput = inCount != 1 && (inCount != 3 || inputs != nil)
        var notes: [String] = []
        var chosenFilters = filters
        var chosenInputs = inputs
        if chosenFilters == nil, !perInput, outCount > Self.defaultLimit {
            chosenFilters = Array(0..<Self.defaultLimit)
            notes.append("the first \(Self.defaultLimit) of \(outCount) filters")
        }
        if chosenInputs == nil, perInput, inCount > Self.defaultLimit {
            chosenInputs = Array(0..<Self.defaultLimit)
            notes.append("the first \(Self.defaultLimit) of \(inCount) input channels")
        }
        let grid = try FilterGrid(model: model, layer: layerName, filters: chosenFilters, inputChannels: chosenInputs, scale: scale)

        var tiles: [ImageOutput] = []
        var breaks: Set<Int> = []
        for (index, tile) in grid.tiles.enumerated() {
            if index > 0, tile.filter != grid.tiles[index - 1].filter, grid.layout == .perInputChannel { breaks.insert(index) }
            let factor = max(1, size / max(tile.height, tile.width))
            let picture = try tile.image(upscaledBy: factor)
            let pixels: [UInt8]
            if tile.channels == 3 {
                pixels = picture.pixels
            } else {
                // Grey tiles: recolour each pixel's value with the colour map.
                pixels = tile.upscaled(by: factor).flatMap { value -> [UInt8] in
                    let colour = colorMap.rgb(value)
                    return [colour.x, colour.y, colour.z]
                }
            }
            let png = try PNGEncoder().encode(width: picture.width, height: picture.height, format: .rgb, pixels: pixels)
            tiles.append(
                TileGrid.tile(
                    png: png, width: picture.width, height: picture.height, caption: tile.title,
                    alt: "\(tile.title) of \(layerName)"))
        }
        let text = caption ?? defaultCaption(grid, model: loaded, notes: notes)
        return CellRun(outputs: TileGrid.rows(tiles, columns: columns, breaks: breaks, caption: text))
    }

    private func defaultCaption(_ grid: FilterGrid, model: LoadedModel, notes: [String]) -> String {
        let kernel = "\(grid.weightShape[2])×\(grid.weightShape[3])"
        let filterList = Self.unique(grid.tiles.map(\.filter))
        let filters = (filterList.count == 1 ? "filter " : "filters ") + IndexList.describe(filterList)
        var text = "Weights of \(grid.layer) in \(model.caption) (\(grid.module)), \(filters): "
        switch grid.layout {
        case .rgb:
            text += "\(kernel) RGB tiles (input channels 0, 1, 2 as red, green, blue)"
        case .perFilter:
            text += "\(kernel) tiles, one input channel per filter"
        case .perInputChannel:
            let inputs = IndexList.describe(Self.unique(grid.tiles.compactMap(\.inputChannel)))
            text += "\(kernel) tiles of input channels \(inputs) (of \(grid.inputChannelsPerFilter))"
        }
        text += "; \(grid.scaleDescription)"
        if grid.layout != .rgb { text += ", colour map \(colorMap.rawValue)" }
        if !notes.isEmpty { text += " (\(notes.joined(separator: "; ")))" }
        return text
    }

    /// `values` without repeats, in first-seen order.
    private static func unique(_ values: [Int]) -> [Int] {
        var seen: Set<Int> = []
        return values.filter { seen.insert($0).inserted }
    }
}
