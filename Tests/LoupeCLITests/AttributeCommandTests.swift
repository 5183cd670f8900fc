import Foundation
import Testing

/// `loupe attribute` as a user runs it: outputs and bad input.
///
/// Uses the store's Lite0, shared with the user's Loupe home so it is fetched once.
@Suite struct AttributeCommandTests {
    static let dog = PredictCommandTests.root.appendingPathComponent("Notebooks/images/dog.jpg").path
    static let home = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/loupe")

    func attribute(_ arguments: [String]) throws -> LoupeRun {
        try runLoupe(["attribute", "--image", Self.dog] + arguments, home: Self.home)
    }

    @Test func writesThePNGTheRawNpyAndASummary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-attr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let run = try attribute([
            "--method", "gradcam", "--out", folder.appendingPathComponent("cam.png").path,
            "--raw", folder.appendingPathComponent("cam.npy").path, "--json",
        ])
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

/// `loupe attribute --out` and the `{attribute}` cell are one library call and one drawing: for
/// the same settings their PNGs are the same bytes.
@Suite struct AttributeCommandMatchesTheNotebookTests {
    @Test(arguments: [
        ("saliency", ["--gamma", "0.6", "--colormap", "gray"], ":gamma: 0.6\n:colormap: gray"),
        ("gradcam", ["--colormap", "inferno"], ":colormap: inferno"),
        ("smoothgrad", ["--samples", "2", "--seed", "3", "--signed"], ":samples: 2\n:seed: 3\n:signed: true"),
    ])
    func theMapIsTheSameBytes(method: String, flags: [String], options: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-same-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let notebook = """
            ```{model} net
            ```

            ```{image} photo
            :src: \(AttributeCommandTests.dog)
            ```

            ```{attribute}
            :model: net
            :image: photo
            :method: \(method)
            :show: map
            \(options)
            ```
            """
        try notebook.write(to: folder.appendingPathComponent("nb.md"), atomically: true, encoding: .utf8)
        let render = try runLoupe(
            ["render", "nb.md", "-o", "nb.html", "--no-cache", "--quiet"], in: folder, home: AttributeCommandTests.home)
        #expect(render.status == 0, "\(render.errors)")
        let html = try String(contentsOf: folder.appendingPathComponent("nb.html"), encoding: .utf8)
        let marker = "<img class=\"map probed\" src=\"data:image/png;base64,"
        let start = try #require(html.range(of: marker))
        let encoded = html[start.upperBound...].prefix { $0 != "\"" }
        let fromReport = try #require(Data(base64Encoded: String(encoded)))

        let out = folder.appendingPathComponent("cli.png")
        let cli = try runLoupe(
            ["attribute", "--image", AttributeCommandTests.dog, "--method", method, "--out", out.path] + flags,
            home: AttributeCommandTests.home)
        #expect(cli.status == 0, "\(cli.errors)")
        let fromCLI = try Data(contentsOf: out)
        #expect(fromCLI.count > 1000)
        #expect(
            fromCLI == fromReport,
            "\(method): the command's PNG (\(fromCLI.count) bytes) differs from the report's (\(fromReport.count) bytes)")
    }
}
