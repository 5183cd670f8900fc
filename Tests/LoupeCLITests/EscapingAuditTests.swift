import Foundation
import Testing

/// Hostile strings through every way text reaches a report, checked in headless Chromium.
///
/// A notebook whose front matter, prose, cell options, param values, image file name and a
/// failing cell's error carry `<script>`, `"><img onerror>`, `javascript:` URLs and bidi
/// overrides is rendered to HTML and to `.ipynb`; `check-report.py` opens the page and fails it
/// on any script the CSP does not allow by hash, any `on*` attribute or `javascript:` URL, any
/// request or dialog, and on each hostile string not shown literally.
@Suite struct EscapingAuditTests {
    static let root = PredictCommandTests.root
    static let photoName = #""><img src=x onerror=alert(2)>.jpg"#

    static let notebook = #"""
        ---
        title: "<script>alert(1)</script> report"
        authors: ['"><img src=x onerror=alert(2)>']
        description: "javascript:alert(3) and a \u202Egpj.exe"
        params:
          photo: '"><img src=x onerror=alert(2)>.jpg'
        ---

        # <script>alert(4)</script> heading

        Raw <img src=x onerror=alert(5)> inline, a [link](javascript:alert(3)), <a href="javascript:alert(3)">another</a>
        and ![an image](javascript:alert(3)).

        <script>alert(6)</script>
        <iframe src="https://example.com"></iframe>

        ```{image} photo
        :src: "{{ photo }}"
        ```

        ```{show}
        :images: photo
        :captions: "<script>alert(7)</script> \u202Egnp.exe"
        ```

        ```{image} broken
        :src: "</pre><script>alert(8)</script>.png"
        ```
        """#

    @Test func hostileTextArrivesAsTextInChromium() throws {
        let folder = try makeTemporaryFolder("loupe-escaping")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            at: Self.root.appendingPathComponent("Notebooks/images/dog.jpg"), to: folder.appendingPathComponent(Self.photoName))
        let notebook = folder.appendingPathComponent("hostile.md")
        try Data(Self.notebook.utf8).write(to: notebook)
        let report = folder.appendingPathComponent("hostile.html")

        let render = try runLoupe(["render", notebook.path, "-o", report.path, "--quiet"])
        #expect(render.status == 1, "one cell fails, the rest render: \(render.errors)")
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(!html.contains("\u{202E}"), "a bidi override reached the page")

        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let expected = [
            "<script>alert(1)</script> report", #""><img src=x onerror=alert(2)>"#, "javascript:alert(3) and a [U+202E]gpj.exe",
            "<script>alert(7)</script> [U+202E]gnp.exe", "</pre><script>alert(8)</script>.png", Self.photoName,
        ]
        check.arguments =
            [Self.root.appendingPathComponent("Scripts/check-report.py").path, report.path, "--min-images", "1"]
            + expected.flatMap { ["--expect-text", $0] }
        let log = folder.appendingPathComponent("check.log")
        try #require(FileManager.default.createFile(atPath: log.path, contents: nil))
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        check.standardOutput = handle
        check.standardError = handle
        try check.run()
        check.waitUntilExit()
        let output = try String(contentsOf: log, encoding: .utf8)
        #expect(check.terminationStatus == 0, "\(output)")
        #expect(output.contains("0 network requests"), "\(output)")

        // The Jupyter form: Markdown cells carry Loupe's HTML (prose, provenance), outputs the
        // pictures and plain text; none of it may hold active content or fetch anything.
        let ipynb = folder.appendingPathComponent("hostile.ipynb")
        #expect(try runLoupe(["render", notebook.path, "-o", ipynb.path, "--format", "ipynb", "--quiet"]).status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: ipynb)) as? [String: Any])
        let cells = try #require(document["cells"] as? [[String: Any]])
        var markup = ""
        for cell in cells where cell["cell_type"] as? String == "markdown" {
            markup += (cell["source"] as? [String])?.joined() ?? cell["source"] as? String ?? ""
        }
        #expect(markup.contains("&lt;script&gt;alert(1)&lt;/script&gt; report"), "\(markup.prefix(3000))")
        #expect(markup.contains("[image: an image]"))
        #expect(!markup.lowercased().contains("<script") && !markup.lowercased().contains("<iframe"), "\(markup.prefix(3000))")
        #expect(markup.range(of: #"<[^>]*\son[a-z]+\s*="#, options: .regularExpression) == nil)
        #expect(
            markup.range(of: #"(href|src)\s*=\s*"\s*(javascript|vbscript|https?):"#, options: [.regularExpression, .caseInsensitive]) == nil
        )
        #expect(!markup.contains("\u{202E}"))
    }
}
