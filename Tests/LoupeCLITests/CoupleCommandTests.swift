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

    /// An adaptor `loupe couple --out` wrote is what a notebook's `{couple} :file:` reads: the
    /// same channels coupled, and `{describe}` ranks the same best text as `loupe describe`; a
    /// file fitted for another layer fails its cell by name and the rest of the report renders.
    @Test func aNotebookReadsTheAdaptorThatLoupeCoupleWrote() throws {
        let scratch = try folder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let adaptor = scratch.appendingPathComponent("blocks15.safetensors")
        let fit = try runLoupe(
            [
                "couple", "--captions", Self.captions.path, "--layer", "_blocks.15", "--crops", "1", "--permutations", "20",
                "--out", adaptor.path, "--json",
            ], home: TextCommandTests.home)
        #expect(fit.status == 0, "\(fit.errors)")
        let statistics = try #require(try JSONSerialization.jsonObject(with: Data(fit.output.utf8)) as? [String: Any])
        let channels = try #require(statistics["channels"] as? [[String: Any]])
        let coupled = channels.filter { channel in
            let (r, null) = (channel["heldOutR"] as? Double ?? 0, channel["nullP95"] as? Double ?? 1)
            return channel["dead"] as? Bool == false && r > 0 && r > null
        }.count
        #expect(coupled > 0)

        let phrases = ["green leaves and moss in a forest", "a red bus on a street", "a bird with spread wings"]
        try phrases.joined(separator: "\n").write(to: scratch.appendingPathComponent("phrases.txt"), atomically: true, encoding: .utf8)
        let described = try runLoupe(
            [
                "describe", adaptor.path, "--vocabulary", scratch.appendingPathComponent("phrases.txt").path, "--channels", "0", "--top",
                "1", "--json",
            ],
            home: TextCommandTests.home)
        #expect(described.status == 0, "\(described.errors)")
        let description = try #require(try JSONSerialization.jsonObject(with: Data(described.output.utf8)) as? [String: Any])
        let first = try #require((description["channels"] as? [[String: Any]])?.first?["labels"] as? [[String: Any]])
        let best = try #require(first.first?["text"] as? String)

        let notebook = scratch.appendingPathComponent("saved.md")
        try """
        # A saved adaptor

        ```{model} net
        :name: efficientnet-lite0
        ```

        ```{couple} saved
        :model: net
        :layer: _blocks.15
        :file: blocks15.safetensors
        ```

        ```{embed} phrases
        \(phrases.joined(separator: "\n"))
        ```

        ```{describe}
        :adaptor: saved
        :texts: phrases
        :channels: 0
        :top: 1
        ```

        ```{couple} elsewhere
        :model: net
        :layer: _blocks.10
        :file: blocks15.safetensors
        ```
        """.write(to: notebook, atomically: true, encoding: .utf8)
        let report = scratch.appendingPathComponent("saved.html")
        let render = try runLoupe(["render", notebook.path, "-o", report.path, "--no-cache", "--quiet"], home: TextCommandTests.home)
        #expect(render.status == 1, "one cell fails: \(render.errors)")
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(html.contains("Read from blocks15.safetensors"))
        #expect(html.contains("<td>\(channels.count)</td>") && html.contains("<td>\(coupled) ("), "the file's statistics")
        #expect(html.contains(best), "the same best text as loupe describe")
        #expect(html.contains("fitted for layer _blocks.15, not _blocks.10"))
    }
}
