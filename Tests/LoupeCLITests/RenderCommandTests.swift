import Foundation
import Testing

/// `loupe render`, `publish`, `directives` and `cache clear` end to end, on notebooks that
/// use images only (no model download), in a fresh folder and `LOUPE_HOME` per test.
@Suite struct RenderCommandTests {
    static let images = PredictCommandTests.root.appendingPathComponent("Notebooks/images")

    /// A folder with `nb.md` (the given text), a copy of two photos under `images/`, and an
    /// empty Loupe home.
    struct Workspace {
        let folder: URL
        let home: URL

        init(_ notebook: String) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-render-\(UUID().uuidString)")
            home = folder.appendingPathComponent("home")
            let images = folder.appendingPathComponent("images")
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
            for name in ["dog.jpg", "chelsea.png"] {
                try FileManager.default.copyItem(
                    at: RenderCommandTests.images.appendingPathComponent(name), to: images.appendingPathComponent(name))
            }
            try notebook.write(to: folder.appendingPathComponent("nb.md"), atomically: true, encoding: .utf8)
        }

        func loupe(_ arguments: [String]) throws -> LoupeRun {
            try runLoupe(arguments, in: folder, home: home)
        }

        func read(_ path: String) throws -> String {
            try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
        }
    }

    static let notebook = """
        ---
        title: Two photos
        params:
          photo: images/dog.jpg
        ---
        # Photos

        ```{image} photo
        :src: "{{ photo }}"
        :size: 64
        ```

        ```{image} cat
        :src: images/chelsea.png
        :size: 64
        :show: false
        ```

        ```{mix} blend
        :images: photo, cat
        ```
        """

    @Test func rendersASelfContainedReportAndThenReadsTheCache() throws {
        let workspace = try Workspace(Self.notebook)
        let cold = try workspace.loupe(["render", "nb.md", "-o", "out/report.html"])
        #expect(cold.status == 0, "\(cold.errors)")
        #expect(cold.errors.contains("wrote out/report.html: 3 cells ran, 0 cached, 0 failed, 0 skipped"))
        let html = try workspace.read("out/report.html")
        #expect(html.contains("<title>Two photos</title>"))
        #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 2, "two images shown")
        #expect(!html.contains("http://") && !html.contains("https://"), "no external URL")
        let warm = try workspace.loupe(["render", "nb.md", "-o", "out/report.html"])
        #expect(warm.status == 0)
        #expect(warm.errors.contains("0 cells ran, 3 cached"))
        let clear = try workspace.loupe(["cache", "clear"])
        #expect(clear.output.contains("removed 3 cached cells"))
    }

    @Test func reproducibleReportsHaveTheSameBytesColdAndWarm() throws {
        let workspace = try Workspace(Self.notebook)
        #expect(try workspace.loupe(["render", "nb.md", "--reproducible", "-o", "a.html"]).status == 0)
        #expect(try workspace.loupe(["render", "nb.md", "--reproducible", "-o", "b.html"]).status == 0)
        #expect(try workspace.loupe(["render", "nb.md", "--reproducible", "--no-cache", "-o", "c.html"]).status == 0)
        let a = try workspace.read("a.html")
        #expect(a == (try workspace.read("b.html")))
        #expect(a == (try workspace.read("c.html")))
    }

    @Test func aFailingCellIsReportedInPlaceAndTheExitStatusSaysSo() throws {
        let workspace = try Workspace(Self.notebook + "\n\n```{mix} bad\n:images: photo, nothere\n```\n\n```{show}\n:images: blend\n```\n")
        let run = try workspace.loupe(["render", "nb.md", "-o", "r.html"])
        #expect(run.status == 1)
        #expect(
            run.errors.contains(
                "nb.md:24: error: cell 'bad': option ':images:' names 'nothere', which no earlier cell defines; earlier image cells: photo, cat, blend"
            ))
        let html = try workspace.read("r.html")
        #expect(html.contains("which no earlier cell defines"))
        #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 3, "the other cells still rendered")
    }

    @Test func setReplacesAParamWithAPathFromTheWorkingDirectory() throws {
        let workspace = try Workspace(Self.notebook)
        let elsewhere = workspace.folder.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: Self.images.appendingPathComponent("eagle.jpg"), to: elsewhere.appendingPathComponent("bird.jpg"))
        let run = try runLoupe(["render", "../nb.md", "--set", "photo=bird.jpg", "-o", "me.html"], in: elsewhere, home: workspace.home)
        #expect(run.status == 0, "\(run.errors)")
        let html = try String(contentsOf: elsewhere.appendingPathComponent("me.html"), encoding: .utf8)
        #expect(html.contains("bird.jpg"))
        #expect(!html.contains("dog.jpg"))
    }

    @Test func anUnknownParamIsAnErrorThatSuggestsTheRightOne() throws {
        let workspace = try Workspace(Self.notebook)
        try "old report".write(to: workspace.folder.appendingPathComponent("keep.html"), atomically: true, encoding: .utf8)
        let run = try workspace.loupe(["render", "nb.md", "--set", "phot=x.jpg", "-o", "keep.html"])
        #expect(run.status != 0)
        #expect(run.errors.contains("nb.md: error: --set phot=…: the notebook has no param 'phot'; did you mean 'photo'?"))
        #expect(try workspace.read("keep.html") == "old report", "a failed render leaves the old report alone")
    }

    @Test func brokenFrontMatterNamesTheLineAndWritesNothing() throws {
        let workspace = try Workspace("---\ntitle: [unclosed\n---\n")
        let run = try workspace.loupe(["render", "nb.md", "-o", "x.html"])
        #expect(run.status != 0)
        #expect(run.errors.contains("nb.md:3: error: invalid front matter"), "the line YAML points at")
        #expect(!FileManager.default.fileExists(atPath: workspace.folder.appendingPathComponent("x.html").path))
    }

    @Test func eachRendersOneReportPerImageAndAnIndex() throws {
        let workspace = try Workspace(Self.notebook)
        let run = try workspace.loupe(["render", "nb.md", "--each", "photo=images/*", "-o", "site"])
        #expect(run.status == 0, "\(run.errors)")
        let index = try workspace.read("site/index.html")
        #expect(index.contains("href=\"nb-chelsea.html\"") && index.contains("href=\"nb-dog.html\""))
        #expect(index.contains("Two photos: 2 images"))
        #expect(try workspace.read("site/nb-chelsea.html").contains("chelsea.png"))
    }

    @Test func hostileFileNamesAndCaptionsAreEscaped() throws {
        let workspace = try Workspace(
            """
            ---
            title: "<script>alert(1)</script>"
            ---
            <script>alert(2)</script>

            ```{image} x
            :src: "images/<img src=x onerror=alert(3)>.png"
            :caption: "<b onmouseover=alert(4)>"
            ```
            """)
        try FileManager.default.copyItem(
            at: workspace.folder.appendingPathComponent("images/chelsea.png"),
            to: workspace.folder.appendingPathComponent("images/<img src=x onerror=alert(3)>.png"))
        let run = try workspace.loupe(["render", "nb.md", "-o", "h.html"])
        #expect(run.status == 0, "\(run.errors)")
        let html = try workspace.read("h.html")
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img src=x"))
        #expect(!html.contains("<b onmouseover"))
        #expect(html.contains("&lt;b onmouseover=alert(4)&gt;"))
    }

    @Test func ipynbOutputIsANotebookWithTheSameImages() throws {
        let workspace = try Workspace(Self.notebook)
        let run = try workspace.loupe(["render", "nb.md", "--format", "ipynb", "-o", "nb.ipynb"])
        #expect(run.status == 0, "\(run.errors)")
        let data = try Data(contentsOf: workspace.folder.appendingPathComponent("nb.ipynb"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["nbformat"] as? Int == 4)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.components(separatedBy: "\"image/png\"").count - 1 >= 2)
    }

    @Test func publishWritesASiteWithAnIndex() throws {
        let workspace = try Workspace(Self.notebook)
        try "---\ntitle: Second\ndescription: Just a cat.\n---\n```{image} c\n:src: images/chelsea.png\n:size: 32\n```\n"
            .write(to: workspace.folder.appendingPathComponent("second.md"), atomically: true, encoding: .utf8)
        let run = try workspace.loupe(["publish", ".", "-o", "site"])
        #expect(run.status == 0, "\(run.errors)")
        let index = try workspace.read("site/index.html")
        #expect(index.contains("href=\"nb.html\"") && index.contains("href=\"second.html\""))
        #expect(index.contains("Just a cat."))
        #expect(index.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 2, "a thumbnail each")
        #expect(try workspace.read("site/second.html").contains("<title>Second</title>"))
    }

    @Test func proseImagesAreEmbeddedAndRemoteOnesReported() throws {
        let workspace = try Workspace(
            """
            # Pictures

            ![Chelsea the cat](images/chelsea.png) and ![a remote one](https://example.com/x.png)
            """)
        let run = try workspace.loupe(["render", "nb.md", "-o", "p.html"])
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.errors.contains("nb.md:1: warning: image 'https://example.com/x.png' is not a local file"))
        let html = try workspace.read("p.html")
        let png = try Data(contentsOf: Self.images.appendingPathComponent("chelsea.png")).base64EncodedString()
        #expect(html.contains("<img src=\"data:image/png;base64,\(png)\" alt=\"Chelsea the cat\""))
        #expect(html.contains("<span class=\"unembedded-image\">[image: a remote one]</span>") && !html.contains("example.com/x.png\""))
    }

    @Test func directivesListsEveryDirective() throws {
        let run = try runLoupe(["directives"])
        for name in ["{model}", "{image}", "{predict}", "{show}", "{mix}", "{attribute}"] {
            #expect(run.output.contains(name))
        }
    }
}

/// The README's first notebook renders as written, from a folder next to `Notebooks/`.
@Suite struct ReadmeNotebookTests {
    @Test func theFirstNotebookInTheReadmeRenders() throws {
        let readme = try String(contentsOf: PredictCommandTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## A first notebook"))
        let open = try #require(readme.range(of: "````markdown\n", range: section.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "\n````", range: open.upperBound..<readme.endIndex))
        let notebook = String(readme[open.upperBound..<close.lowerBound])
        #expect(notebook.split(separator: "\n").count <= 25, "a first notebook stays short")

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent("Notebooks"), withDestinationURL: PredictCommandTests.root.appendingPathComponent("Notebooks")
        )
        try notebook.write(to: folder.appendingPathComponent("dog.md"), atomically: true, encoding: .utf8)
        let run = try runLoupe(["render", "dog.md", "--no-cache", "--quiet"], in: folder, home: AttributeCommandTests.home)
        #expect(run.status == 0, "\(run.errors)")
        let html = try String(contentsOf: folder.appendingPathComponent("Output/dog.html"), encoding: .utf8)
        #expect(html.contains("German shepherd"))
        #expect(html.contains("<img class=\"map probed\""), "the Grad-CAM overlay is drawn, with its values")
    }
}
