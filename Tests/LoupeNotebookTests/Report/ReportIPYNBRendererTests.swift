import Foundation
import Testing

@testable import LoupeNotebook

@Suite struct ReportIPYNBRendererTests {
    /// The notebook as parsed JSON.
    private func notebook(_ report: Report) throws -> [String: Any] {
        let data = try IPYNBRenderer().render(report)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func cells(_ notebook: [String: Any]) throws -> [[String: Any]] {
        try #require(notebook["cells"] as? [[String: Any]])
    }

    private func outputs(_ cell: [String: Any]) throws -> [[String: Any]] {
        try #require(cell["outputs"] as? [[String: Any]])
    }

    private func data(_ output: [String: Any]) throws -> [String: String] {
        try #require(output["data"] as? [String: String])
    }

    private func png(_ output: [String: Any]) throws -> Data {
        let base64 = try #require(try data(output)["image/png"])
        #expect(!base64.contains("\n"))
        return try #require(Data(base64Encoded: base64))
    }

    @Test func sampleNotebookStructure() throws {
        let report = try ReportSampleData.small()
        let notebook = try notebook(report)
        #expect(notebook["nbformat"] as? Int == 4)
        #expect(notebook["nbformat_minor"] as? Int == 5)
        let metadata = try #require(notebook["metadata"] as? [String: Any])
        #expect((metadata["language_info"] as? [String: String]) == ["name": "python"])
        #expect(metadata["title"] as? String == "Saliency on a tiny CNN")
        #expect((metadata["authors"] as? [[String: String]]) == [["name": "Ada Lovelace"], ["name": "Alan Turing"]])
        #expect((metadata["loupe"] as? [String: Any])?["loupeVersion"] as? String == "0.1.0")

        let cells = try cells(notebook)
        // Title; intro prose; heading + code for predict, saliency, broken; code for later; provenance.
        #expect(
            cells.map { $0["cell_type"] as? String } == [
                "markdown", "markdown", "markdown", "code", "markdown", "code", "markdown", "code", "code", "markdown",
            ])
        #expect(
            cells.map { $0["id"] as? String } == [
                "title", "cell-intro", "cell-predict-heading", "cell-predict", "cell-saliency-heading", "cell-saliency",
                "cell-broken-heading", "cell-broken", "cell-later", "provenance",
            ])
        for cell in cells where cell["cell_type"] as? String == "code" {
            #expect(cell.keys.contains("execution_count") && cell["execution_count"] is NSNull)
        }

        let title = try #require(cells[0]["source"] as? String)
        #expect(title.contains("<h1>Saliency on a tiny CNN</h1>"))
        #expect(title.contains("Ada Lovelace, Alan Turing"))
        #expect(title.contains("A sample report that shows every kind of cell output."))
        #expect(try #require(cells[1]["source"] as? String).contains("<p>We look at <em>where</em> the model looks.</p>"))
        #expect(cells[2]["source"] as? String == "<div class=\"tex2jax_ignore mathjax_ignore\">\n<h2>Top classes</h2>\n</div>")

        // predict: the directive source, a table, and Loupe's facts in the cell metadata.
        let predict = cells[3]
        #expect(predict["source"] as? String == report.cells[1].source)
        let loupe = try #require((predict["metadata"] as? [String: Any])?["loupe"] as? [String: Any])
        #expect(loupe["id"] as? String == "predict")
        #expect(loupe["cached"] as? Bool == true)
        #expect(loupe["duration"] as? Double == 0.0421)
        #expect(loupe["status"] as? String == "ok")
        let table = try data(try #require(try outputs(predict).first))
        #expect(try #require(table["text/html"]).contains("<tr><td>1</td><td>tabby cat</td><td>0.8123</td></tr>"))
        #expect(
            table["text/plain"] == """
                tinycnn top-3 classes for images/cat.png
                Rank  Class      Probability
                ----  ---------  -----------
                1     tabby cat  0.8123
                2     tiger cat  0.1002
                3     lynx       0.0311
                """)

        // saliency: 2 images + group caption, 2 × (map + colour bar), 1 stream.
        let saliency = try outputs(cells[5])
        #expect(
            saliency.map { $0["output_type"] as? String } == [
                "display_data", "display_data", "display_data", "display_data", "display_data", "display_data", "display_data", "stream",
            ])
        guard case let .images(images, caption) = report.cells[2].outputs[0],
            case let .heatmap(first) = report.cells[2].outputs[1],
            case let .heatmap(second) = report.cells[2].outputs[2]
        else {
            Issue.record("sample report changed shape")
            return
        }
        #expect(try png(saliency[0]) == images[0].png)
        #expect(try png(saliency[1]) == images[1].png)
        #expect(try data(saliency[0])["text/plain"] == "input")
        #expect(try data(saliency[2]) == ["text/plain": caption])
        let firstRendered = try first.rendered(), secondRendered = try second.rendered()
        #expect(try png(saliency[3]) == firstRendered.map.png)
        #expect(try png(saliency[4]) == firstRendered.colorBar)
        #expect(try png(saliency[5]) == secondRendered.map.png)
        #expect(try png(saliency[6]) == secondRendered.colorBar)
        #expect(
            try data(saliency[3])["text/plain"]
                == "Saliency, tinycnn, target tabby cat (16×16 values from \(firstRendered.lowerLabel) to \(firstRendered.upperLabel); colour map viridis over [\(firstRendered.lowerLabel), \(firstRendered.upperLabel)])"
        )
        #expect(
            try data(saliency[6])["text/plain"]
                == "colour bar, coolwarm: \(secondRendered.lowerLabel) (left) to \(secondRendered.upperLabel) (right)")
        // A 16 × 16 map is shown at 256 × 256, a 24 × 24 image at 240 × 240.
        #expect((saliency[3]["metadata"] as? [String: [String: Int]])?["image/png"] == ["width": 256, "height": 256])
        #expect((saliency[0]["metadata"] as? [String: [String: Int]])?["image/png"] == ["width": 240, "height": 240])
        #expect(saliency[7]["name"] as? String == "stdout")
        #expect(saliency[7]["text"] as? String == "steps: 32\nbaseline: zeros\n")

        // broken: a failed status is an error output; later: a skipped note.
        let broken = try outputs(cells[7])
        #expect(broken.count == 1)
        #expect(broken[0]["output_type"] as? String == "error")
        #expect(broken[0]["ename"] as? String == "CellFailed")
        #expect(broken[0]["evalue"] as? String == "unknown layer 'layer9': expected one of conv1, conv2, fc")
        #expect(broken[0]["traceback"] as? [String] == ["unknown layer 'layer9': expected one of conv1, conv2, fc"])
        let later = try outputs(cells[8])
        #expect(later.count == 1)
        #expect(later[0]["output_type"] as? String == "stream")
        #expect(later[0]["name"] as? String == "stderr")
        #expect(later[0]["text"] as? String == "Skipped: depends on a failed cell\n")

        #expect(
            try #require(cells[9]["source"] as? String).contains(
                "<tr><td>tinycnn</td><td><code>\(String(repeating: "ab", count: 32))</code></td></tr>"))
    }

    @Test func hostileTextIsEscapedInHTMLAndMarkdown() throws {
        let notebook = try notebook(try ReportSampleData.hostileReport())
        let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"
        var html: [String] = []
        for cell in try cells(notebook) {
            if cell["cell_type"] as? String == "markdown" {
                html.append(try #require(cell["source"] as? String))
            } else {
                for output in try outputs(cell) {
                    if let markup = (output["data"] as? [String: String])?["text/html"] { html.append(markup) }
                }
            }
        }
        #expect(html.count == 4)  // title, heading, table output, provenance
        for markup in html {
            #expect(!markup.contains("<script"))
            #expect(!markup.contains("alert('x')"))
            #expect(markup.contains(escaped))
        }
        let tableHTML = try #require(html.first { $0.contains("<table>") })
        #expect(tableHTML.contains("<th>\(escaped)</th>"))
        #expect(tableHTML.contains("<td>\(escaped)</td>"))
        #expect(tableHTML.contains("<figcaption>\(escaped)</figcaption>"))
        // Plain-text fields keep the text as it is: it is never interpreted.
        let code = try #require(try cells(notebook).first { $0["cell_type"] as? String == "code" })
        #expect(code["source"] as? String == ReportSampleData.hostile)
        let table = try data(try #require(try outputs(code).first))
        #expect(table["text/plain"]?.hasPrefix(ReportSampleData.hostile) == true)
        // The error outputs (a heatmap that cannot be drawn cannot be made, so none is here).
        let errors = try outputs(code).filter { $0["output_type"] as? String == "error" }
        #expect(errors.map { $0["ename"] as? String } == ["CellFailed", "CellFailed"])
    }

    @Test func sameReportGivesSameBytes() throws {
        let first = try IPYNBRenderer().render(try ReportSampleData.small())
        let second = try IPYNBRenderer().render(try ReportSampleData.small())
        #expect(first == second)
        // A report read back from its JSON gives the same notebook too.
        let encoded = try JSONEncoder().encode(try ReportSampleData.small())
        let decoded = try JSONDecoder().decode(Report.self, from: encoded)
        #expect(try IPYNBRenderer().render(decoded) == first)
        #expect(first.last == UInt8(ascii: "\n"))
    }

    @Test func cellIDsAreValidAndUnique() throws {
        let long = String(repeating: "x", count: 100)
        let report = Report(
            title: "t",
            cells: [
                CellResult(id: "a b", heading: "h", source: "s", outputs: []),
                CellResult(id: "a-b", source: "s", outputs: []),
                CellResult(id: "a b-heading", source: "s", outputs: []),
                CellResult(id: long, source: "s", outputs: []),
                CellResult(id: long + "y", source: "s", outputs: []),
                CellResult(id: "é✓", source: "s", outputs: []),
                CellResult(id: "", source: "s", outputs: []),
            ],
            provenance: Provenance(loupeVersion: "v")
        )
        let ids = try cells(try notebook(report)).compactMap { $0["id"] as? String }
        #expect(ids.count == 10)
        #expect(Set(ids).count == ids.count)
        let valid = try NSRegularExpression(pattern: "^[a-zA-Z0-9_-]{1,64}$")
        for id in ids {
            #expect(valid.firstMatch(in: id, range: NSRange(location: 0, length: id.utf16.count)) != nil, "invalid id \(id)")
        }
        #expect(
            ids == [
                "title", "cell-a-b-heading-2", "cell-a-b", "cell-a-b-2", "cell-a-b-heading", "cell-" + String(repeating: "x", count: 59),
                String("cell-" + String(repeating: "x", count: 57)) + "-2", "cell---", "cell-", "provenance",
            ])
    }

    @Test func markdownCellsHaveNoBlankLines() {
        let html = "<p>Code:</p>\n<pre><code>a\n\n  \n\tb $x$\n</code></pre>\n"
        let source = JupyterHTML.markdownCell(html)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "<div class=\"tex2jax_ignore mathjax_ignore\">")
        #expect(lines.last == "</div>")
        for line in lines {
            #expect(!line.allSatisfy { $0 == " " || $0 == "\t" }, "blank line in \(source)")
        }
        #expect(!source.contains("$"))
        // Undoing the character references gives back the HTML.
        let restored =
            source
            .replacingOccurrences(of: "&#10;", with: "\n")
            .replacingOccurrences(of: "&#32;", with: " ")
            .replacingOccurrences(of: "&#9;", with: "\t")
            .replacingOccurrences(of: "&#36;", with: "$")
        #expect(restored == "<div class=\"tex2jax_ignore mathjax_ignore\">\n" + html + "\n</div>")
    }

    @Test func proseInsideADirectiveCellIsHTMLOutput() throws {
        let report = Report(
            title: "t",
            cells: [CellResult(id: "c", source: "```{note}\n```", outputs: [.prose(html: "<p>hi</p>")])],
            provenance: Provenance(loupeVersion: "v")
        )
        let cell = try cells(try notebook(report))[1]
        #expect(cell["cell_type"] as? String == "code")
        #expect(
            try data(try #require(try outputs(cell).first)) == [
                "text/html": "<div class=\"tex2jax_ignore mathjax_ignore\">\n<p>hi</p>\n</div>"
            ])
    }

    /// The Python that has `nbformat`, or `nil` when none does.
    private static let nbformatPython: String? = {
        for python in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: python) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", "import nbformat"]
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            process.waitUntilExit()
            if process.terminationStatus == 0 { return python }
        }
        return nil
    }()

    @Test(.enabled(if: nbformatPython != nil, "needs python3 with nbformat (apt-get install python3-nbformat)"))
    func sampleNotebooksPassNbformatValidation() throws {
        let python = try #require(Self.nbformatPython)
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/check-ipynb.py")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-ipynb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, report) in [("sample", try ReportSampleData.small()), ("hostile", try ReportSampleData.hostileReport())] {
            let file = directory.appendingPathComponent("\(name).ipynb")
            try writeAtomically(try IPYNBRenderer().render(report), to: file)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script.path, file.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(name): \(output)")
        }
    }
}
