import Foundation
import Testing

/// `loupe couple` and `loupe describe` on bad input, as a user would meet it: each names the
/// file, the entry or the layer, exits with 2, and writes no adaptor.
@Suite struct CoupleCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let captions = root.appendingPathComponent("Notebooks/images/coupling/captions.json")

    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-couple-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func badCaptionsAndLayersAreNamedAndNothingIsWritten() throws {
        let scratch = try folder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("a.safetensors")

        let missing = try runLoupe(
            ["couple", "--captions", scratch.appendingPathComponent("none.json").path, "--layer", "_blocks.15", "--out", out.path],
            home: TextCommandTests.home)
        #expect(missing.status == 2)
        #expect(missing.errors.contains("none.json") && missing.errors.contains("cannot be read"), "\(missing.errors)")

        let unknown = scratch.appendingPathComponent("unknown.json")
        try Data(#"{"images":[{"id":1,"file_name":"x.jpg"}],"annotations":[{"id":9,"image_id":2,"caption":"A cat."}]}"#.utf8)
            .write(to: unknown)
        let badEntry = try runLoupe(["couple", "--captions", unknown.path, "--layer", "_blocks.15"], home: TextCommandTests.home)
        #expect(badEntry.status == 2)
        #expect(badEntry.errors.contains("caption 9 refers to image 2"), "\(badEntry.errors)")

        let layer = try runLoupe(
            ["couple", "--captions", Self.captions.path, "--layer", "_blocks.99", "--out", out.path], home: TextCommandTests.home)
        #expect(layer.status == 2)
        #expect(layer.errors.contains("_blocks.99"), "\(layer.errors)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "a failed fit writes no adaptor")

        // A safetensors file that is not an adaptor.
        let notAdaptor = scratch.appendingPathComponent("weights.safetensors")
        var bytes = Data()
        let header = Data(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(header)
        bytes.append(contentsOf: [0, 0, 128, 63])
        try bytes.write(to: notAdaptor)
        let describe = try runLoupe(["describe", notAdaptor.path], home: TextCommandTests.home)
        #expect(describe.status == 2)
        #expect(describe.errors.contains("not a Loupe adaptor"), "\(describe.errors)")
    }
}
