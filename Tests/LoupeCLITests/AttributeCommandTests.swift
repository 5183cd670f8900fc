import Foundation
import Testing

/// `loupe attribute` as a user runs it: outputs and bad input. Uses the store's Lite0, shared
/// with the user's Loupe home so it is fetched once.
@Suite struct AttributeCommandTests {
    static let dog = PredictCommandTests.root.appendingPathComponent("Notebooks/images/dog.jpg").path
    static let home = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/loupe")

    func attribute(_ arguments: [String]) throws -> LoupeRun {
        try runLoupe(["attribute", "--image", Self.dog] + arguments, home: Self.home)
    }

    @Test func writesThePNGTheRawNpyAndASummary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-attr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let run = try attribute(["--method", "gradcam", "--out", folder.appendingPathComponent("cam.png").path,
                                 "--raw", folder.appendingPathComponent("cam.npy").path, "--json"])
        #expect(run.status == 0, "\(run.errors)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        #expect(summary["target_index"] as? Int == 235)
        #expect(summary["raw_shape"] as? [Int] == [1, 1, 7, 7])
        #expect(summary["layer"] as? String == "_relu")
        let png = try Data(contentsOf: folder.appendingPathComponent("cam.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let npy = try Data(contentsOf: folder.appendingPathComponent("cam.npy"))
        #expect(npy.count > 49 * 4 && npy.count % 64 == 49 * 4 % 64)
    }

    @Test func anUnknownLabelSuggestsTheClosest() throws {
        let run = try attribute(["--method", "saliency", "--target", "German shepard", "--json"])
        #expect(run.status != 0)
        #expect(run.errors.contains("closest: 'German shepherd'"))
    }

    @Test func anUnknownLayerListsTheNearestNames() throws {
        let run = try attribute(["--method", "gradcam", "--layer", "_conv_haed", "--json"])
        #expect(run.status != 0)
        #expect(run.errors.contains("_conv_head"))
    }

    @Test func aTargetIndexOutOfRangeIsAnError() throws {
        let run = try attribute(["--method", "saliency", "--target", "1000", "--json"])
        #expect(run.status != 0)
        #expect(run.errors.contains("class index 1000 is out of range: the model has classes 0…999"))
    }
}
