import Foundation
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// Filter pictures on the real Lite0 (weights read a second time, straight from the store's
/// checkpoint file) and a ResNet-18 with seeded weights: every tile value against the
/// documented scaling, before enlarging.
@Suite(.serialized) struct FilterGridTests {
    static let lite0: Result<(model: Model, checkpoint: StateDict), Error> = Result {
        let model = try Model(named: "efficientnet-lite0")
        let store = ModelStore()
        let checkpoint = try Checkpoint.load(contentsOf: store.checkpointURL(for: try ModelStore.entry(named: "efficientnet-lite0")))
        return (model, checkpoint)
    }

    /// The weight `[out, in, kH, kW]` from the checkpoint, row-major.
    func weight(_ key: String) throws -> (values: [Float], shape: [Int]) {
        let tensor = try #require(try Self.lite0.get().checkpoint[key], "no \(key) in the checkpoint")
        return (try tensor.scalars, tensor.shape)
    }

    @Test func firstConvolutionTilesAreEachFilterMinMaxScaled() throws {
        let (model, _) = try Self.lite0.get()
        let (w, shape) = try weight("_conv_stem.weight")
        #expect(shape == [32, 3, 3, 3])
        let grid = try FilterGrid(model: model, layer: "_conv_stem")
        #expect(grid.layout == .rgb && grid.tiles.count == 32)
        #expect(grid.tiles[5].title == "Filter 5")
        var checked = 0
        for tile in grid.tiles {
            let f = tile.filter
            let filter = Array(w[(f * 27)..<((f + 1) * 27)])
            let low = try #require(filter.min()), high = try #require(filter.max())
            #expect((tile.height, tile.width, tile.channels) == (3, 3, 3))
            for y in 0..<3 {
                for x in 0..<3 {
                    for c in 0..<3 {
                        // Tile [y, x, c] is weight [f, c, y, x] (the lecture's permute(0, 2, 3, 1)).
                        let expected = (filter[c * 9 + y * 3 + x] - low) / (high - low + 1e-8)
                        #expect(abs(tile.values[(y * 3 + x) * 3 + c] - expected) <= 1e-6, "filter \(f) [\(y), \(x), \(c)]")
                        checked += 1
                    }
                }
            }
            // Each filter spans 0…1, except that the 1e-8 keeps Lite0's four dead stem filters
            // (ranges below 2e-7) near black instead of stretching rounding noise.
            let span = (high - low) / (high - low + 1e-8)
            #expect(tile.values.min() == 0 && abs((tile.values.max() ?? 0) - span) <= 1e-6)
            if high - low > 1e-3 { #expect(abs((tile.values.max() ?? 0) - 1) <= 1e-6) }
        }
        #expect(checked == 32 * 27)
    }

    @Test func sharedScaleIsSymmetricAroundGreyOverTheWholeLayer() throws {
        let (model, _) = try Self.lite0.get()
        let (w, _) = try weight("_conv_stem.weight")
        let bound = w.map(abs).max() ?? 0
        let grid = try FilterGrid(model: model, layer: "_conv_stem", filters: [3, 7], scale: .shared)
        #expect(grid.tiles.map(\.filter) == [3, 7])
        #expect(grid.largestMagnitude == bound)
        for tile in grid.tiles {
            for y in 0..<3 {
                for x in 0..<3 {
                    for c in 0..<3 {
                        let expected = w[tile.filter * 27 + c * 9 + y * 3 + x] / (2 * bound) + 0.5
                        #expect(abs(tile.values[(y * 3 + x) * 3 + c] - expected) <= 1e-6)
                    }
                }
            }
        }
        // Shared values are comparable across filters: the per-filter scale is not.
        let perFilter = try FilterGrid(model: model, layer: "_conv_stem", filters: [3, 7], scale: .filter)
        #expect(perFilter.tiles[0].values != grid.tiles[0].values)
        let all = try FilterGrid(model: model, layer: "_conv_stem", scale: .shared).tiles.flatMap(\.values)
        #expect(all.min() ?? 1 >= 0 && all.max() ?? 0 <= 1)
        #expect(all.contains { abs($0) < 1e-6 } || all.contains { abs($0 - 1) < 1e-6 }, "the largest |w| reaches 0 or 1")
    }

    @Test func depthwiseGivesOneTilePerFilterAndDeeperLayersOnePerInputChannel() throws {
        let (model, _) = try Self.lite0.get()
        let depthwise = try FilterGrid(model: model, layer: "_blocks.5._depthwise_conv")
        #expect(depthwise.layout == .perFilter)
        #expect(depthwise.weightShape == [240, 1, 3, 3] && depthwise.tiles.count == 240)
        #expect(depthwise.tiles[58].title == "Filter 58" && depthwise.tiles[58].channels == 1)
        let (dw, _) = try weight("_blocks.5._depthwise_conv.weight")
        let filter = Array(dw[(58 * 9)..<(59 * 9)])
        let low = filter.min() ?? 0, high = filter.max() ?? 0
        #expect(zip(depthwise.tiles[58].values, filter).allSatisfy { abs($0 - ($1 - low) / (high - low + 1e-8)) <= 1e-6 })

        let expand = try FilterGrid(model: model, layer: "_blocks.5._expand_conv", filters: [5, 6])
        #expect(expand.layout == .perInputChannel)
        #expect(expand.weightShape == [240, 40, 1, 1])
        #expect(expand.tiles.count == 2 * 40, "every input channel of each chosen filter")
        #expect(expand.tiles[12].title == "filter 5, input 12" && expand.tiles[40].title == "filter 6, input 0")
        #expect(expand.tiles.allSatisfy { ($0.height, $0.width, $0.channels) == (1, 1, 1) })
        // One filter's tiles share the filter's scale: together they span 0…1.
        let five = expand.tiles.prefix(40).map { $0.values[0] }
        #expect(five.min() == 0 && abs((five.max() ?? 0) - 1) < 1e-6)

        let head = try FilterGrid(model: model, layer: "_conv_head", inputChannels: [0, 319])
        #expect(head.tiles.map(\.title) == ["filter 0, input 0", "filter 0, input 319"], "deeper layers default to filter 0")
    }

    @Test func resNetDeeperLayerTilesUseTheWholeFiltersRange() throws {
        let model = try seededResNet18()
        let weight = try model.convolution(named: "layer1.0.conv1").weight.tensor
        #expect(weight.shape == [64, 64, 3, 3])
        let w = try weight.scalars
        let filter = Array(w[(5 * 576)..<(6 * 576)])
        let low = filter.min() ?? 0, high = filter.max() ?? 0
        let grid = try FilterGrid(model: model, layer: "layer1.0.conv1", filters: [5], inputChannels: [0, 12])
        #expect(grid.tiles.map(\.title) == ["filter 5, input 0", "filter 5, input 12"])
        for tile in grid.tiles {
            let input = try #require(tile.inputChannel)
            for p in 0..<9 {
                #expect(abs(tile.values[p] - (filter[input * 9 + p] - low) / (high - low + 1e-8)) <= 1e-6)
            }
        }
        // The first layer with input channels asked for: grey tiles per colour channel.
        let conv1 = try FilterGrid(model: model, layer: "conv1", filters: [2], inputChannels: [0, 1, 2])
        #expect(conv1.layout == .perInputChannel && conv1.tiles.count == 3 && conv1.tiles[0].height == 7)
    }

    @Test func tilesAreEnlargedByNearestNeighbour() throws {
        let (model, _) = try Self.lite0.get()
        let tile = try FilterGrid(model: model, layer: "_conv_stem", filters: [0]).tiles[0]
        let big = tile.upscaled(by: 4)
        #expect(big.count == 12 * 12 * 3)
        for y in 0..<12 {
            for x in 0..<12 {
                for c in 0..<3 { #expect(big[(y * 12 + x) * 3 + c] == tile.values[((y / 4) * 3 + x / 4) * 3 + c]) }
            }
        }
        let image = try tile.image(upscaledBy: 4)
        #expect((image.width, image.height) == (12, 12))
        #expect(image.pixels[0] == UInt8((tile.values[0] * 255).rounded()))
    }

    @Test func errorsNameTheLayerAndTheRange() throws {
        let (model, _) = try Self.lite0.get()
        #expect(
            throws: ModelError.unknownLayer(model: "efficientnet-lite0", name: "_conv_stme", suggestions: ["_conv_stem", "_conv_head"])
        ) {
            try FilterGrid(model: model, layer: "_conv_stme")
        }
        do {
            _ = try FilterGrid(model: model, layer: "_bn0")
            Issue.record("expected an error")
        } catch let error as InterpError {
            guard case let .notAConvolution(layer, module, suggestions) = error else { throw error }
            #expect(layer == "_bn0" && module.hasPrefix("BatchNorm2d") && !suggestions.isEmpty)
            #expect(error.description.contains("not a convolution"))
        }
        #expect(throws: InterpError.filterOutOfRange(layer: "_conv_stem", filter: 32, filters: 32)) {
            try FilterGrid(model: model, layer: "_conv_stem", filters: [0, 32])
        }
        #expect(throws: InterpError.inputChannelOutOfRange(layer: "_conv_stem", channel: 3, channels: 3)) {
            try FilterGrid(model: model, layer: "_conv_stem", inputChannels: [3])
        }
        #expect(
            InterpError.filterOutOfRange(layer: "_conv_stem", filter: 32, filters: 32).description
                == "filter 32 is out of range: layer '_conv_stem' has filters 0…31")
    }

    @Test func indexListsReadRangesAndLists() throws {
        #expect(try IndexList.parse("0-3, 7,58", option: "filters") == [0, 1, 2, 3, 7, 58])
        #expect(try IndexList.parse("12", option: "filters") == [12])
        #expect(throws: InterpError.self) { try IndexList.parse("3-1", option: "filters") }
        #expect(throws: InterpError.self) { try IndexList.parse("a,b", option: "filters") }
        #expect(throws: InterpError.self) { try IndexList.parse("1,,2", option: "filters") }
        #expect(IndexList.describe([0, 1, 2, 3, 7, 9, 10]) == "0–3, 7, 9, 10")
    }
}

/// torchvision's ResNet-18 with seeded random weights (batch-norm variances positive).
func seededResNet18(seed: UInt64 = 7) throws -> Model {
    let model = Model(architecture: .resnet18)
    var rng = SplitMix64(seed: seed)
    var tensors: [String: Tensor] = [:]
    for (key, parameter) in model.network.namedParameters {
        let count = parameter.shape.reduce(1, *)
        if key.hasSuffix("running_var") {
            tensors[key] = try Tensor(shape: parameter.shape, scalars: (0..<count).map { _ in 0.5 + Float(rng.next() % 1000) / 1000 })
        } else if key.hasSuffix("num_batches_tracked") {
            continue
        } else {
            let fanIn = parameter.shape.count > 1 ? parameter.shape.dropFirst().reduce(1, *) : 1
            tensors[key] = try Tensor.randomNormal(parameter.shape, standardDeviation: (2 / Float(fanIn)).squareRoot(), using: &rng)
        }
    }
    try model.load(StateDict(tensors))
    return model
}
