import Foundation
import Testing

/// `loupe features` and `loupe filters` as a user runs them: the raw activation, the summary,
/// and bad layer names.
///
/// Uses the store's Lite0, shared with the user's Loupe home.
@Suite struct FeaturesCommandTests {
    static let dog = PredictCommandTests.root.appendingPathComponent("Notebooks/images/dog.jpg").path
    static let home = AttributeCommandTests.home

    func features(_ arguments: [String]) throws -> LoupeRun {
        try runLoupe(["features", "--image", Self.dog] + arguments, home: Self.home)
    }

    @Test func writesTheWholeActivationAndSummarisesTheChosenChannels() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-features-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let raw = folder.appendingPathComponent("stem.npy")
        let run = try features(["--layer", "_relu@1", "--channels", "0-2", "--raw", raw.path, "--json"])
        #expect(run.status == 0, "\(run.errors)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        #expect(summary["shape"] as? [Int] == [1, 32, 112, 112])
        #expect(summary["call"] as? Int == 1 && summary["calls"] as? Int == 2)
        let channels = try #require(summary["channels"] as? [[String: Any]])
        #expect(channels.compactMap { $0["channel"] as? Int } == [0, 1, 2])
        #expect(channels.allSatisfy { ($0["min"] as? Double ?? -1) >= 0 && ($0["max"] as? Double ?? 7) <= 6 }, "after ReLU6")
        let npy = try Data(contentsOf: raw)
        let header = String(decoding: npy.prefix(128), as: UTF8.self)
        #expect(header.contains("'shape': (1, 32, 112, 112)"))
        #expect(npy.count % 64 == (32 * 112 * 112 * 4) % 64 && npy.count > 32 * 112 * 112 * 4)
    }

    @Test func anUnknownLayerListsTheNearestNames() throws {
        let run = try features(["--layer", "_conv_stme"])
        #expect(run.status != 0)
        #expect(run.errors.contains("has no layer named \"_conv_stme\"") && run.errors.contains("_conv_stem"))
        let filters = try runLoupe(["filters", "--layer", "_blocks.5._depthwise_cnv"], home: Self.home)
        #expect(filters.status != 0)
        #expect(filters.errors.contains("_blocks.5._depthwise_conv"))
    }

    @Test func aCallTheLayerDoesNotMakeAndANonConvolutionAreErrors() throws {
        let run = try features(["--layer", "_relu@3"])
        #expect(run.status != 0)
        #expect(run.errors.contains("write '_relu@1' … '_relu@2'"))
        let filters = try runLoupe(["filters", "--layer", "_bn0"], home: Self.home)
        #expect(filters.status != 0)
        #expect(filters.errors.contains("layer '_bn0' is BatchNorm2d") && filters.errors.contains("not a convolution"))
    }
}
