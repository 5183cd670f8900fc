import ArgumentParser
import Foundation
import LoupeInterp
import LoupeModels
import LoupeTensor

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A layer's feature maps for one image: per-channel statistics, and the whole activation as .npy.",
        discussion: """
            --layer is a dotted PyTorch name and its output is what a forward hook on that module returns: \
            _conv_stem is the stem convolution before batch norm, _bn0 after it. A module that runs several \
            times per forward pass (Lite0's _relu, a ResNet block's relu) means its last call; name@k picks \
            call k (_relu@1 is Lite0's stem activation).

            --raw writes the whole activation tensor, [1, C, H, W] ([1, C] for a linear layer), as a float32 \
            NumPy file, whatever --channels or --top choose. The table lists the chosen channels (default: the \
            8 with the highest mean activation, highest first) with min, max and mean.

            Examples:
              loupe features --image dog.jpg --layer _conv_stem --top 8
              loupe features --image dog.jpg --layer _relu@1 --channels 0-3 --raw stem.npy
              loupe features --arch resnet18 --weights r18.pth --image cat.png --layer layer1.0.bn1 --json
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(help: "The layer: a dotted name, or name@k for the k-th call of a shared module.")
    var layer: String

    @Option(help: "Channels to list: 0-15, 3,7,58 or a mix.")
    var channels: String?

    @Option(help: "List the k channels with the highest mean activation (default 8 without --channels).")
    var top: Int?

    @Option(help: "The whole activation as a float32 .npy, shaped as a PyTorch forward hook returns it.")
    var raw: String?

    @Flag(help: "Print JSON (layer, module, call, calls, shape, and min/max/mean of the chosen channels) instead of a table.")
    var json = false

    func validate() throws {
        if channels != nil, top != nil { throw ValidationError("give either --channels or --top, not both") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        do {
            let call = try LayerCall(parsing: layer)
            let image = try imageOptions.decode()
            let model = try modelOptions.load()
            let input = try imageOptions.input(from: image, for: model)
            let features = try model.featureMaps(for: input.tensor, layer: call)
            if let raw {
                try AtomicFile.write(
                    NPY.encode(features.values, shape: features.shape), to: URL(fileURLWithPath: (raw as NSString).expandingTildeInPath))
            }
            let maps =
                try channels.map { try features.maps(IndexList.parse($0, option: "--channels")) }
                ?? features.topChannels(top ?? 8)
            if json {
                let object: [String: Any] = [
                    "layer": call.name, "call": features.call, "calls": features.calls, "module": features.module,
                    "shape": features.shape,
                    "channels": maps.map {
                        ["channel": $0.channel, "min": Double($0.minimum), "max": Double($0.maximum), "mean": Double($0.mean)]
                    },
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("\(features.caption): \(features.module), output \(features.shape)")
                print("channel        min        max       mean")
                for map in maps {
                    print(String(format: "%7d %10.4f %10.4f %10.4f", map.channel, map.minimum, map.maximum, map.mean))
                }
            }
        } catch {
            throw fail(error)
        }
    }
}

struct Filters: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A convolution's filters: their weights as .npy and the tiles {filters} draws.",
        discussion: """
            --raw writes the chosen filters' weights, [n, in / groups, kH, kW] (PyTorch's weight[filters]). \
            --tiles writes the tiles {filters} shows, scaled to 0…1 and before enlarging: [n, kH, kW, 3] for \
            RGB tiles (a first convolution), [n, kH, kW] for grey ones. --scale filter min–max scales each \
            filter over its whole weight, as (f - f.min()) / (f.max() - f.min() + 1e-8); --scale shared maps \
            the layer's ±max|w| to 0…1 with 0 at 0.5.

            Examples:
              loupe filters --layer _conv_stem --tiles stem.npy
              loupe filters --arch resnet18 --weights r18.pth --layer layer1.0.conv1 --filters 5 --inputs 0-15 --json
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The convolution (dotted name). Default: the model's first convolution.")
    var layer: String?

    @Option(help: "Filters: 0-31, 3,7,58 or a mix. Default: all for one tile per filter, 0 for deeper layers.")
    var filters: String?

    @Option(help: "Deeper layers: the input channels for each filter (default all); for a first layer, grey tiles per colour channel.")
    var inputs: String?

    @Option(help: "filter: each filter min–max scaled; shared: the layer's ±max|w| around 0.5.")
    var scale: FilterGrid.Scale = .filter

    @Option(help: "The chosen filters' weights as a float32 .npy.")
    var raw: String?

    @Option(help: "The tiles' values (0…1, before enlarging) as a float32 .npy.")
    var tiles: String?

    @Flag(help: "Print a JSON summary (layer, module, weight shape, layout, scale, tile titles).")
    var json = false

    func run() throws {
        do {
            let model = try modelOptions.load()
            guard let name = layer ?? model.convolutionNames.first else {
                throw ValidationError("\(model.name) has no convolution layer")
            }
            let chosenFilters = try filters.map { try IndexList.parse($0, option: "--filters") }
            let chosenInputs = try inputs.map { try IndexList.parse($0, option: "--inputs") }
            let grid = try FilterGrid(model: model, layer: name, filters: chosenFilters, inputChannels: chosenInputs, scale: scale)
            if let raw {
                let weight = try model.convolution(named: name).weight.tensor.scalars
                let perFilter = grid.weightShape.dropFirst().reduce(1, *)
                let rows = Self.unique(grid.tiles.map(\.filter))
                let values = rows.flatMap { weight[($0 * perFilter)..<(($0 + 1) * perFilter)] }
                try AtomicFile.write(
                    NPY.encode(values, shape: [rows.count] + grid.weightShape.dropFirst()),
                    to: URL(fileURLWithPath: (raw as NSString).expandingTildeInPath))
            }
            if let tiles {
                let first = grid.tiles.first
                let shape = [grid.tiles.count, first?.height ?? 0, first?.width ?? 0] + (first?.channels == 3 ? [3] : [])
                try AtomicFile.write(
                    NPY.encode(grid.tiles.flatMap(\.values), shape: shape),
                    to: URL(fileURLWithPath: (tiles as NSString).expandingTildeInPath))
            }
            if json {
                let object: [String: Any] = [
                    "layer": grid.layer, "module": grid.module, "weight_shape": grid.weightShape, "layout": grid.layout.rawValue,
                    "scale": grid.scale.rawValue, "largest_magnitude": Double(grid.largestMagnitude), "tiles": grid.tiles.map(\.title),
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(
                    "\(grid.layer): \(grid.module), weight \(grid.weightShape), \(grid.tiles.count) \(grid.layout.rawValue) tiles; \(grid.scaleDescription)"
                )
            }
        } catch {
            throw fail(error)
        }
    }

    private static func unique(_ values: [Int]) -> [Int] {
        var seen: Set<Int> = []
        return values.filter { seen.insert($0).inserted }
    }
}

extension FilterGrid.Scale: ExpressibleByArgument {}
