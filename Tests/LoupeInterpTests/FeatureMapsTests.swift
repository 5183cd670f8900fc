import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// Feature maps of named layers on the real Lite0 and a seeded ResNet-18 for a real photo,
/// against the activations ``Model/forward(_:capturing:)`` and a hand-written hook capture.
@Suite(.serialized) struct FeatureMapsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let lite0: Result<(model: Model, input: Tensor), Error> = Result {
        let model = try Model(named: "efficientnet-lite0")
        let photo = try RGBImage(contentsOf: root.appendingPathComponent("Notebooks/images/dog.jpg"))
        return (model, try model.preprocessing.tensor(from: photo))
    }

    /// Every call's output of `layer` in one forward pass that observes only `layer` (as
    /// ``Model/featureMaps(for:layer:)`` does: the layers around it run fused, which rounds
    /// differently in the last bits from a pass that observes them).
    func calls(_ model: Model, _ input: Tensor, _ layer: String) throws -> [[Float]] {
        var seen: [[Float]] = []
        _ = try GradMode.withoutGrad {
            try model(input, observing: [layer]) { name, output in
                if name == layer { seen.append(try output.scalars) }
                return output
            }
        }
        return seen
    }

    @Test func mapsAreTheCapturedActivationsOfTheNamedLayer() throws {
        let (model, input) = try Self.lite0.get()
        let names: Set = ["_conv_stem", "_bn0", "_blocks.5._depthwise_conv", "_conv_head", "_relu", "_fc"]
        for name in names {
            let (_, captured) = try GradMode.withoutGrad { try model.forward(input, capturing: [name]) }
            let features = try model.featureMaps(for: input, layer: LayerCall(name: name))
            let expected = try #require(captured[name])
            #expect(features.shape == expected.shape, "\(name)")
            #expect(features.values == (try expected.scalars), "\(name): the values forward(_:capturing:) captures")
        }
        let stem = try model.featureMaps(for: input, layer: LayerCall(name: "_conv_stem"))
        #expect(stem.shape == [1, 32, 112, 112] && stem.channels == 32 && stem.calls == 1 && stem.caption == "_conv_stem")
        #expect(stem.module.hasPrefix("Conv2d(3, 32, kernel_size=(3, 3)"))
        let fc = try model.featureMaps(for: input, layer: LayerCall(name: "_fc"))
        let plane = try fc.planeSize()
        #expect(fc.shape == [1, 1000] && plane == (1, 1))
        #expect(try fc.map(235).values.count == 1)
    }

    @Test func aSharedModulesCallsArePickedWithAt() throws {
        let (model, input) = try Self.lite0.get()
        let relu = try calls(model, input, "_relu")
        #expect(relu.count == 2, "Lite0's _relu runs after the stem and after the head")
        let last = try model.featureMaps(for: input, layer: LayerCall(parsing: "_relu"))
        let first = try model.featureMaps(for: input, layer: LayerCall(parsing: "_relu@1"))
        let second = try model.featureMaps(for: input, layer: LayerCall(parsing: "_relu@2"))
        #expect(last.values == relu[1] && second.values == relu[1] && first.values == relu[0])
        #expect(first.shape == [1, 32, 112, 112] && last.shape == [1, 1280, 7, 7])
        #expect((first.call, first.calls, last.call) == (1, 2, 2))
        #expect(first.caption == "_relu@1 (call 1 of 2)")
        // _relu@1 is ReLU6 of _bn0, before and after the activation exactly as named.
        let bn0 = try model.featureMaps(for: input, layer: LayerCall(name: "_bn0"))
        #expect(bn0.values.contains { $0 < 0 } && bn0.values.contains { $0 > 6 })
        #expect(zip(bn0.values, first.values).allSatisfy { min(max($0, 0), 6) == $1 })

        #expect(throws: InterpError.layerCallOutOfRange(layer: "_relu", call: 3, calls: 2)) {
            try model.featureMaps(for: input, layer: LayerCall(parsing: "_relu@3"))
        }
        #expect(throws: InterpError.layerCallOutOfRange(layer: "_conv_stem", call: 2, calls: 1)) {
            try model.featureMaps(for: input, layer: LayerCall(parsing: "_conv_stem@2"))
        }
        #expect(
            InterpError.layerCallOutOfRange(layer: "_relu", call: 3, calls: 2).description
                == "layer '_relu' runs 2 times per forward pass: write '_relu@1' … '_relu@2' ('_relu' alone is the last call), not '_relu@3'"
        )
        #expect(throws: InterpError.self) { try LayerCall(parsing: "_relu@0") }
        #expect(throws: InterpError.self) { try LayerCall(parsing: "_relu@two") }
        #expect(
            throws: ModelError.unknownLayer(model: "efficientnet-lite0", name: "_conv_stme", suggestions: ["_conv_stem", "_conv_head"])
        ) {
            try model.featureMaps(for: input, layer: LayerCall(name: "_conv_stme"))
        }
    }

    @Test func topChannelsAreRankedByMeanActivation() throws {
        let (model, input) = try Self.lite0.get()
        let features = try model.featureMaps(for: input, layer: LayerCall(name: "_conv_stem"))
        let plane = 112 * 112
        let means = (0..<32).map { c in
            Float(features.values[(c * plane)..<((c + 1) * plane)].reduce(0.0) { $0 + Double($1) } / Double(plane))
        }
        let top = try features.topChannels(5)
        #expect(top.count == 5)
        let expectedOrder = (0..<32).sorted { means[$0] != means[$1] ? means[$0] > means[$1] : $0 < $1 }.prefix(5)
        #expect(top.map(\.channel) == Array(expectedOrder))
        #expect(zip(top, top.dropFirst()).allSatisfy { $0.mean >= $1.mean })
        for map in top {
            #expect(abs(map.mean - means[map.channel]) <= 1e-5 * max(1, abs(means[map.channel])))
            let values = Array(features.values[(map.channel * plane)..<((map.channel + 1) * plane)])
            #expect(map.values == values && map.minimum == values.min() && map.maximum == values.max())
        }
        #expect(try features.topChannels(100).count == 32)
        #expect(try features.maps([7, 3]).map(\.channel) == [7, 3])
        #expect(throws: InterpError.channelOutOfRange(layer: "_conv_stem", channel: 32, channels: 32)) { try features.map(32) }
    }

    @Test func resNetBlockReLUFirstCallIsAfterBatchNormAndLastAfterTheSum() throws {
        let model = try seededResNet18()
        let photo = try RGBImage(contentsOf: Self.root.appendingPathComponent("Notebooks/images/chelsea.png"))
        let input = try model.preprocessing.tensor(from: photo)
        let bn1 = try model.featureMaps(for: input, layer: LayerCall(name: "layer1.0.bn1"))
        let first = try model.featureMaps(for: input, layer: LayerCall(parsing: "layer1.0.relu@1"))
        let last = try model.featureMaps(for: input, layer: LayerCall(parsing: "layer1.0.relu"))
        let block = try model.featureMaps(for: input, layer: LayerCall(name: "layer1.0"))
        #expect(first.calls == 2 && first.shape == [1, 64, 56, 56])
        #expect(zip(bn1.values, first.values).allSatisfy { max($0, 0) == $1 })
        // Observing the ReLU runs the block's first convolution, batch norm and ReLU one by one;
        // observing the block leaves them fused, which rounds differently in the last bits.
        let scale = block.values.map(abs).max() ?? 0
        let difference = zip(last.values, block.values).map { abs($0 - $1) }.max() ?? .infinity
        #expect(last.values.count == block.values.count && difference <= 1e-5 * scale, "the block's output is its ReLU's last call")
        #expect(last.values != first.values)
        let conv1 = try model.featureMaps(for: input, layer: LayerCall(name: "conv1"))
        #expect(conv1.shape == [1, 64, 112, 112] && conv1.values.contains { $0 < 0 }, "conv1 is before batch norm and ReLU")
    }
}
