import Foundation
import Testing

/// `loupe guide` as a user runs it: the edited model is written as safetensors that Loupe loads
/// back with `--arch --weights`, with the edit in its metadata; bad input is named and writes nothing.
@Suite struct GuideCommandTests {
    @Test func theEditedModelLoadsBackAndBadInputIsNamed() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-guide-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let adaptor = scratch.appendingPathComponent("blocks15.safetensors")
        let captions = CoupleCommandTests.captions.path
        let fit = try runLoupe(
            ["couple", "--captions", captions, "--layer", "_blocks.15", "--crops", "1", "--permutations", "20", "--out", adaptor.path],
            home: TextCommandTests.home)
        #expect(fit.status == 0, "\(fit.errors)")

        let edited = scratch.appendingPathComponent("edited.safetensors")
        let common = ["guide", "--adaptor", adaptor.path, "--captions", captions, "--sentence", "a striped tiger in the grass"]
        let guided = try runLoupe(
            common + ["--class", "lion", "--steps", "10", "--out", edited.path, "--json"], home: TextCommandTests.home)
        #expect(guided.status == 0, "\(guided.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(guided.output.utf8)) as? [String: Any])
        let effect = try #require(report["effect"] as? [String: Any])
        #expect((effect["after"] as? Double ?? 1) < (effect["before"] as? Double ?? 0), "\(effect)")
        #expect(report["keys"] as? [String] == ["_conv_head.weight", "_bn1.weight", "_bn1.bias", "_fc.weight", "_fc.bias"])

        // The file names the edit and loads back as a Lite0 checkpoint.
        let bytes = try Data(contentsOf: edited)
        let headerLength = bytes.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let header = try #require(try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let metadata = try #require(header["__metadata__"] as? [String: String])
        #expect(metadata["loupe_sentence"] == "a striped tiger in the grass" && metadata["loupe_class"] == "lion (291)")
        #expect(header["_fc.weight"] != nil && header["_blocks.0._depthwise_conv.weight"] != nil)
        let predicted = try runLoupe(
            ["predict", "--arch", "efficientnet_lite0", "--weights", edited.path, "--image", "/usr/share/darknet/data/dog.jpg"],
            home: TextCommandTests.home)
        #expect(predicted.status == 0, "\(predicted.errors)")

        let unknown = scratch.appendingPathComponent("unknown.safetensors")
        let badClass = try runLoupe(common + ["--class", "unicorn", "--out", unknown.path], home: TextCommandTests.home)
        #expect(badClass.status == 2 && badClass.errors.contains("unicorn"), "\(badClass.errors)")
        let other = try runLoupe(
            common + ["--model", "efficientnet-lite2", "--class", "lion", "--out", unknown.path], home: TextCommandTests.home)
        #expect(other.status == 2 && other.errors.contains("other weights"), "\(other.errors)")
        let badRate = try runLoupe(
            common + ["--class", "lion", "--learning-rate", "0", "--out", unknown.path], home: TextCommandTests.home)
        #expect(badRate.status == 2 && badRate.errors.contains("learning rate"), "\(badRate.errors)")
        let noChannels = try runLoupe(common + ["--mode", "sensitise", "--out", unknown.path], home: TextCommandTests.home)
        #expect(noChannels.status != 0 && noChannels.errors.contains("--channels"), "\(noChannels.errors)")
        let nowhere = try runLoupe(
            common + ["--class", "lion", "--out", scratch.appendingPathComponent("missing/edited.safetensors").path],
            home: TextCommandTests.home)
        #expect(nowhere.status != 0 && nowhere.errors.contains("does not exist"), "\(nowhere.errors)")
        #expect(!FileManager.default.fileExists(atPath: unknown.path), "a failed guide writes no model")
    }
}
