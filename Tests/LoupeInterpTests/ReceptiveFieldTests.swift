import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// Receptive fields against the values known for ResNet-18 and Lite0, and against the support of
/// the gradient of one activation with respect to the input: on a network whose weights are all
/// positive (and every activation positive, so no ReLU or ReLU6 gate closes and nothing cancels)
/// that support is exactly the field; on the real Lite0 it lies inside it.
@Suite(.serialized) struct ReceptiveFieldTests {
    /// `architecture` with every convolution and linear weight `1 / fan-in`, batch norm the
    /// identity (weight 1, bias 0, mean 0, variance 1) and biases 0.
    static func positiveModel(_ architecture: Architecture) throws -> Model {
        let model = Model(architecture: architecture)
        var weights = StateDict()
        for (key, parameter) in model.network.namedParameters {
            let shape = parameter.shape
            let value: Float
            if key.hasSuffix("running_var") {
                value = 1
            } else if key.hasSuffix("running_mean") || key.hasSuffix("bias") || key.hasSuffix("num_batches_tracked") {
                value = 0
            } else if shape.count == 1 {
                value = 1
            } else {
                value = 1 / Float(shape.dropFirst().reduce(1, *))
            }
            weights[key] = try Tensor.full(shape, value: value)
        }
        try model.load(weights)
        return model
    }

    static let resnet: Result<Model, Error> = Result { try positiveModel(.resnet18) }
    static let positiveLite: Result<Model, Error> = Result { try positiveModel(.efficientnet_lite0) }

    /// The input pixels (row, column) where the gradient of activation (channel, row, column) of
    /// `layer` with respect to a `size`×`size` input is not zero.
    static func gradientSupport(
        _ model: Model, layer: String, channel: Int = 0, row: Int, column: Int,
        input: Tensor
    ) throws -> Set<[Int]> {
        let gradient = try Engine.run { () throws -> [Float] in
            let x = input.requiringGrad()
            var captured: Tensor?
            _ = try model(x) { name, output in
                if name == layer { captured = output }
                return output
            }
            let activation = try #require(captured)
            var seed = [Float](repeating: 0, count: activation.count)
            let (h, w) = (activation.shape[2], activation.shape[3])
            seed[(channel * h + row) * w + column] = 1
            return try grad(of: activation, wrt: [x], seed: Tensor(shape: activation.shape, scalars: seed))[0].scalars
        }
        let (height, width) = (input.shape[2], input.shape[3])
        var support: Set<[Int]> = []
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width where gradient[(c * height + y) * width + x] != 0 { support.insert([y, x]) }
            }
        }
        return support
    }

    /// The smallest rectangle holding every pixel of `support`.
    static func bounds(_ support: Set<[Int]>) -> PixelRegion? {
        guard let top = support.map({ $0[0] }).min(), let bottom = support.map({ $0[0] }).max(),
            let left = support.map({ $0[1] }).min(), let right = support.map({ $0[1] }).max()
        else { return nil }
        return PixelRegion(top: top, left: left, height: bottom - top + 1, width: right - left + 1)
    }

    /// Whether `support` fills `region` exactly (compared as bounds and count, so a failure
    /// prints two rectangles).
    static func fills(_ support: Set<[Int]>, _ region: PixelRegion) -> Bool {
        bounds(support) == region && support.count == region.height * region.width
    }

    /// Whether `support` lies inside `region`.
    static func inside(_ support: Set<[Int]>, _ region: PixelRegion) -> Bool {
        support.allSatisfy { region.contains(row: $0[0], column: $0[1]) }
    }

    @Test func resnet18MatchesTheKnownValues() throws {
        let model = try Self.resnet.get()
        // (layer, size, stride, origin): conv1 7×7/2 pad 3; maxpool 3×3/2 pad 1 → 11 px;
        // each 3×3 conv of layer1 adds 2·4; layer4 ends at 435 px with stride 32.
        let expected: [(String, Int, Int, Int)] = [
            ("conv1", 7, 2, -3), ("relu", 7, 2, -3), ("maxpool", 11, 4, -5), ("layer1.0.conv1", 19, 4, -9),
            ("layer1", 43, 4, -21), ("layer2.0.conv1", 51, 8, -25), ("layer2", 99, 8, -49), ("layer3", 211, 16, -105),
            ("layer4", 435, 32, -217), ("layer4.1.conv2", 435, 32, -217),
        ]
        for (layer, size, stride, origin) in expected {
            let field = try ReceptiveField(layer: layer, in: model)
            #expect(field.vertical == ReceptiveField.Axis(size: size, stride: stride, origin: origin), "\(layer)")
            #expect(field.horizontal == field.vertical, "\(layer)")
        }
        let field = try ReceptiveField(layer: "layer4", in: model)
        #expect(field.outputShape == [1, 512, 7, 7])
        #expect(field.region(row: 3, column: 3) == PixelRegion(top: 0, left: 0, height: 224, width: 224), "435 px covers the image")
        #expect(try ReceptiveField(layer: "avgpool", in: model).vertical.size == 435 + 6 * 32)
        // The shortcut (`downsample`, a strided 1×1 convolution) sees only its own pixels.
        #expect(try ReceptiveField(layer: "layer2.0.downsample.0", in: model).vertical.size == 43)
    }

    /// CLIP's modified ResNet pools by averaging (the stem's 2×2 pool and each strided block's
    /// anti-aliasing pool): its fields are known and hold the gradient's support.
    @Test func clipResNetAveragePoolsHaveTheirFields() throws {
        let model = try WrittenTextTests.model.get()
        // conv1 3×3/2 pad 1, conv2 and conv3 3×3 pad 1 (at stride 2), a 2×2 average pool.
        let stem = try ReceptiveField(layer: "visual.avgpool", in: model)
        #expect(stem.vertical == ReceptiveField.Axis(size: 13, stride: 4, origin: -5))
        #expect(stem.outputShape == [1, 8, 16, 16])
        var rng = SplitMix64(seed: 2)
        let input = try Tensor.randomNormal([1, 3, 64, 64], using: &rng)
        for (layer, row, column) in [("visual.avgpool", 5, 9), ("visual.layer2", 3, 4), ("visual.layer3", 1, 2)] {
            let field = try ReceptiveField(layer: layer, in: model)
            // The channel most active there, so that no closed ReLU hides the gradient.
            let map = try #require(try GradMode.withoutGrad { try model.forward(input, capturing: [layer]) }.activations[layer])
            let (h, w) = (map.shape[2], map.shape[3])
            let values = try map.scalars
            let channel = (0..<map.shape[1]).max { values[($0 * h + row) * w + column] < values[($1 * h + row) * w + column] } ?? 0
            let support = try Self.gradientSupport(model, layer: layer, channel: channel, row: row, column: column, input: input)
            #expect(!support.isEmpty)
            #expect(
                Self.inside(support, field.region(row: row, column: column)),
                "\(layer) at (\(row), \(column)): support \(String(describing: Self.bounds(support))), field \(field.region(row: row, column: column))"
            )
        }
    }

    @Test func resnet18GradientSupportLiesInTheField() throws {
        let model = try Self.resnet.get()
        let input = try Tensor.full([1, 3, 224, 224], value: 0.01)
        for (layer, row, column) in [("conv1", 0, 0), ("conv1", 50, 77), ("layer1.0.conv1", 30, 9), ("layer2.0.conv1", 14, 14)] {
            let field = try ReceptiveField(layer: layer, in: model)
            let region = field.region(row: row, column: column)
            let support = try Self.gradientSupport(model, layer: layer, row: row, column: column, input: input)
            #expect(!support.isEmpty)
            #expect(
                Self.inside(support, region),
                "\(layer) at (\(row), \(column)): support \(String(describing: Self.bounds(support))), field \(region)")
            if layer == "conv1" { #expect(Self.fills(support, region), "no max pooling before conv1: the support is the field") }
        }
    }

    @Test func lite0FieldIsTheGradientSupportOfAPositiveNetwork() throws {
        let model = try Self.positiveLite.get()
        let stem = try ReceptiveField(layer: "_conv_stem", in: model)
        #expect(stem.vertical == ReceptiveField.Axis(size: 3, stride: 2, origin: 0), "TF SAME at 224: no padding above, one below")
        #expect(stem.outputShape == [1, 32, 112, 112])
        let input = try Tensor.full([1, 3, 224, 224], value: 0.001)
        let cases: [(String, Int, Int)] = [
            ("_conv_stem", 0, 0), ("_conv_stem", 111, 111), ("_conv_stem", 40, 7), ("_blocks.0._depthwise_conv", 20, 30),
            ("_blocks.1._depthwise_conv", 10, 50), ("_blocks.2", 0, 55), ("_blocks.4._project_conv", 14, 9), ("_blocks.5", 6, 6),
        ]
        for (layer, row, column) in cases {
            let field = try ReceptiveField(layer: layer, in: model)
            let support = try Self.gradientSupport(model, layer: layer, row: row, column: column, input: input)
            let region = field.region(row: row, column: column)
            #expect(
                Self.fills(support, region),
                "\(layer) at (\(row), \(column)): support \(String(describing: Self.bounds(support))) (\(support.count) px), field \(region)"
            )
        }
        // The shared `_relu` is taken at its last run, the head's: the whole network.
        let head = try ReceptiveField(layer: "_relu", in: model)
        #expect(head.outputShape == [1, 1280, 7, 7])
        #expect(head.vertical == (try ReceptiveField(layer: "_conv_head", in: model)).vertical)
    }

    @Test func realLite0GradientSupportLiesInTheField() throws {
        let model = try Model(named: "efficientnet-lite0")
        var generator = SplitMix64(seed: 3)
        let input = try Tensor.randomNormal([1, 3, 224, 224], using: &generator)
        for (layer, channel, row, column) in [("_blocks.3", 5, 10, 20), ("_blocks.8._depthwise_conv", 100, 7, 3)] {
            let field = try ReceptiveField(layer: layer, in: model)
            let support = try Self.gradientSupport(model, layer: layer, channel: channel, row: row, column: column, input: input)
            #expect(!support.isEmpty)
            let region = field.region(row: row, column: column)
            #expect(Self.inside(support, region), "\(layer): support \(String(describing: Self.bounds(support))), field \(region)")
        }
    }

    @Test func badLayersAreNamed() throws {
        let model = try Self.positiveLite.get()
        do {
            _ = try ReceptiveField(layer: "_blocks.5._depthwse_conv", in: model)
            Issue.record("expected an error")
        } catch let ModelError.unknownLayer(_, name, suggestions) {
            #expect(name == "_blocks.5._depthwse_conv")
            #expect(suggestions.first == "_blocks.5._depthwise_conv")
        }
        #expect(throws: InterpError.notAFeatureMap(layer: "_fc", shape: [1, 1000])) { try ReceptiveField(layer: "_fc", in: model) }
    }
}
