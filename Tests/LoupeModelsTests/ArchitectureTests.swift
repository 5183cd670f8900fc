import Foundation
import LoupeModels
import LoupeTensor
import Testing

/// Every architecture's parameter names and shapes equal the `state_dict` that PyTorch (or the
/// real checkpoint) has, as dumped by `Scripts/parity/models.py keys`.
@Suite struct ArchitectureTests {
    struct KeyList: Decodable {
        let architecture: String
        let keys: [[KeyOrShape]]
    }

    enum KeyOrShape: Decodable {
        case key(String), shape([Int])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .key(s) } else { self = .shape(try c.decode([Int].self)) }
        }
    }

    static func reference(_ architecture: Architecture) throws -> [String: [Int]] {
        let url = try #require(Bundle.module.url(forResource: architecture.rawValue, withExtension: "json", subdirectory: "Fixtures/keys"))
        let list = try JSONDecoder().decode(KeyList.self, from: Data(contentsOf: url))
        var out: [String: [Int]] = [:]
        for pair in list.keys {
            guard pair.count == 2, case let .key(key) = pair[0], case let .shape(shape) = pair[1] else { continue }
            out[key] = shape
        }
        return out
    }

    @Test(arguments: Architecture.allCases)
    func parameterNamesAndShapesMatchPyTorch(_ architecture: Architecture) throws {
        let expected = try Self.reference(architecture)
        #expect(expected.count > 10)
        let built = Dictionary(uniqueKeysWithValues: architecture.build().namedParameters.map { ($0.key, $0.parameter.shape) })
        let missing = Set(expected.keys).subtracting(built.keys).sorted()
        let extra = Set(built.keys).subtracting(expected.keys).sorted()
        #expect(missing.isEmpty, "\(architecture): PyTorch has \(missing.prefix(5))")
        #expect(extra.isEmpty, "\(architecture): Loupe has \(extra.prefix(5))")
        for (key, shape) in expected where built[key] != nil {
            #expect(built[key] == shape, "\(architecture) \(key): \(built[key] ?? []) vs PyTorch \(shape)")
        }
    }

    /// Random weights of the right shapes for `architecture`.
    static func randomStateDict(_ architecture: Architecture, seed: UInt64 = 1) throws -> StateDict {
        var rng = SplitMix64(seed: seed)
        var sd = StateDict()
        for (key, parameter) in architecture.build().namedParameters {
            let isVariance = key.hasSuffix("running_var")
            sd[key] =
                isVariance
                ? try Tensor.full(parameter.shape, value: 1)
                : try Tensor.randomNormal(parameter.shape, standardDeviation: 0.05, using: &rng)
        }
        return sd
    }

    @Test func strictLoadingNamesTheKeys() throws {
        let good = try Self.randomStateDict(.resnet18)
        let model = Model(architecture: .resnet18)
        try model.load(good)
        #expect(model.parameterCount == 11_699_132)  // sum of numel over torchvision's state_dict, BN buffers included

        var missing = good
        missing["layer2.1.bn2.running_mean"] = nil
        #expect(throws: ModelError.missingKeys(model: "resnet18", keys: ["layer2.1.bn2.running_mean"])) {
            try Model(architecture: .resnet18).load(missing)
        }
        var extra = good
        extra["layer5.0.conv1.weight"] = try Tensor.zeros([1])
        #expect(throws: ModelError.unexpectedKeys(model: "resnet18", keys: ["layer5.0.conv1.weight"])) {
            try Model(architecture: .resnet18).load(extra)
        }
        var wrong = good
        wrong["fc.weight"] = try Tensor.zeros([10, 512])
        #expect(throws: ModelError.shapeMismatch(model: "resnet18", key: "fc.weight", expected: [1000, 512], found: [10, 512])) {
            try Model(architecture: .resnet18).load(wrong)
        }
        var damaged = good
        var values = try good["layer3.0.conv2.weight"]!.scalars
        values[1234] = .nan
        damaged["layer3.0.conv2.weight"] = try Tensor(shape: [256, 256, 3, 3], scalars: values)
        #expect(
            throws: ModelError.notANumber(
                model: "resnet18", what: "the checkpoint's layer3.0.conv2.weight (damaged, or saved after training diverged)")
        ) {
            try Model(architecture: .resnet18).load(damaged)
        }
        // The input is checked once, at the model; the layers inside do not scan theirs.
        var pixels = [Float](repeating: 0.5, count: 3 * 32 * 32)
        pixels[100] = .nan
        let nanInput = try Tensor(shape: [1, 3, 32, 32], scalars: pixels)
        #expect(throws: ModelError.notANumber(model: "resnet18", what: "the input [1, 3, 32, 32]")) { _ = try model(nanInput) }
        #expect(throws: ModelError.notANumber(model: "resnet18", what: "the input [1, 3, 32, 32]")) {
            _ = try GradMode.withoutGrad { try model(nanInput) }
        }
        // BatchNorm's counter may be absent, as in old checkpoints.
        var old = good
        for key in old.keys where key.hasSuffix("num_batches_tracked") { old[key] = nil }
        try Model(architecture: .resnet18).load(old)
    }

    @Test func anotherArchitecturesWeightsAreRefused() throws {
        let lite = try Self.randomStateDict(.efficientnet_lite0)
        do {
            try Model(architecture: .resnet18).load(lite)
            Issue.record("loaded EfficientNet weights into a ResNet")
        } catch let error as ModelError {
            #expect(error.description.contains("another architecture"))
        }
    }

    @Test func layersAreFoundByTheirPyTorchNames() throws {
        let model = Model(architecture: .resnet50)
        #expect(
            try model.layer(named: "layer1.0.conv2").description
                == "Conv2d(64, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)")
        #expect(
            try model.layer(named: "conv1").description == "Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)")
        #expect(model.layerNames.contains("layer4.2.downsample") == false)
        #expect(model.layerNames.contains("layer4.0.downsample.0"))
        do {
            _ = try model.layer(named: "layer1.0.con2")
            Issue.record("found a layer that does not exist")
        } catch let ModelError.unknownLayer(_, name, suggestions) {
            #expect(name == "layer1.0.con2")
            #expect(suggestions.first == "layer1.0.conv2")
        }
        let lite = Model(architecture: .efficientnet_lite0)
        #expect(
            try lite.layer(named: "_blocks.3._depthwise_conv").description
                == "Conv2d(144, 144, kernel_size=(5, 5), stride=(2, 2), padding=same, groups=144, bias=False)")
    }

    @Test func namedLayerOutputsAreCaptured() throws {
        let model = Model(architecture: .resnet18)
        try model.load(try Self.randomStateDict(.resnet18))
        var rng = SplitMix64(seed: 3)
        let image = try Tensor.randomNormal([1, 3, 64, 64], using: &rng)
        let (logits, activations) = try model.forward(image, capturing: ["conv1", "layer4", "layer2.1.bn2"])
        #expect(logits.shape == [1, 1000])
        #expect(activations["conv1"]?.shape == [1, 64, 32, 32])
        #expect(activations["layer2.1.bn2"]?.shape == [1, 128, 8, 8])
        #expect(activations["layer4"]?.shape == [1, 512, 2, 2])
        // Replacing a layer's output changes the result.
        let zeroed = try model(image) { name, output in name == "layer4" ? try output * 0 : output }
        let bias = try #require(try model.network.namedParameters.first { $0.key == "fc.bias" }?.parameter.tensor)
        #expect(try zeroed.scalars == bias.reshaped(to: [1, 1000]).scalars)
    }

    @Test func unknownArchitectureSuggestsNames() {
        do {
            _ = try Architecture(named: "resnet-51")
            Issue.record("accepted resnet-51")
        } catch let ModelError.unknownModel(name, suggestions) {
            #expect(name == "resnet-51")
            #expect(suggestions.contains("resnet50"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect((try? Architecture(named: "EfficientNet-Lite0")) == .efficientnet_lite0)
    }
}
