import Foundation
import LoupeNotebook
import Testing

@testable import loupe

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `loupe serve`: the preview state on its own, then the real binary with headless Chromium
/// (Debian's `chromium`, which `Scripts/setup.sh --dev` installs): a page opens, a cell's option
/// is changed on disk, and the page shows the new render.
@Suite struct ServeCommandTests {
    static func report(_ title: String) -> Report {
        Report(title: title, cells: [], provenance: Provenance(loupeVersion: "test"))
    }

    @Test func stateKeepsTheLastGoodReportUnderAnError() async throws {
        let state = PreviewState(title: "note")
        let waiting = String(decoding: await state.page, as: UTF8.self)
        #expect(waiting.contains("Rendering…") && waiting.contains("<meta name=\"loupe-preview\" content=\"0\">"))

        let (id, messages) = await state.subscribe()
        var iterator = messages.makeAsyncIterator()
        #expect(await iterator.next() == .text("0"), "a page is told the current version first")

        await state.publish(report: Self.report("First <good> report"), error: nil, changedAt: Date())
        #expect(await iterator.next() == .text("1"))
        var page = String(decoding: await state.page, as: UTF8.self)
        #expect(page.contains("First &lt;good&gt; report") && !page.contains("preview-error"))
        #expect(page.contains("script-src 'sha256-") && page.contains("connect-src 'self'"))

        await state.publish(report: nil, error: "note.md:3: error: invalid <front> matter", changedAt: Date())
        #expect(await iterator.next() == .text("2"))
        page = String(decoding: await state.page, as: UTF8.self)
        #expect(page.contains("First &lt;good&gt; report"), "the last good report stays")
        #expect(page.contains("note.md:3: error: invalid &lt;front&gt; matter"), "the error is shown, escaped")

        let failure = "note.md:12: error: cell 'show-1': '{show}' has no option ':image:'"
        await state.publish(report: Self.report("Second report"), error: nil, failures: [failure], changedAt: Date())
        #expect(await iterator.next() == .text("3"))
        page = String(decoding: await state.page, as: UTF8.self)
        #expect(page.contains("Second report") && !page.contains("invalid &lt;front&gt;"), "a good render clears the error")
        #expect(
            page.contains("A cell failed:</strong>\nnote.md:12: error: cell &#39;show-1&#39;"), "failed cells are listed with their lines")

        #expect(await state.pageShows(2) != nil)
        #expect(await state.pageShows(2) == nil, "a version's latency is taken once")
        #expect(await state.pageShows(9) == nil, "no such version")
        await state.unsubscribe(id)
        #expect(await iterator.next() == nil, "the stream ends when the page goes")
    }

    @Test func aMissingNotebookIsBadInput() throws {
        let run = try runLoupe(["serve", "no-such-notebook.md", "--port", "9"])
        #expect(run.status == 2)
        #expect(run.errors.contains("no-such-notebook.md: no such notebook"), "\(run.errors)")
    }

    @Test func thePreviewScriptIsTheOneItsHashAllows() throws {
        let page = HTMLRenderer(preview: .init(version: 3)).render(Self.report("x"))
        let script = try #require(
            page.range(of: "<script>").flatMap { start in
                page.range(of: "</script>", range: start.upperBound..<page.endIndex).map { page[start.upperBound..<$0.lowerBound] }
            })
        #expect(String(script) == HTMLRenderer.Preview.script)
        #expect(!HTMLRenderer().render(Self.report("x")).contains("<script"), "a report file has no script")
    }

    /// The served page in Chromium: it opens, shows the first render, reloads onto the second
    /// after an option changes on disk, and the server outlives the browser.
    @Test(.timeLimit(.minutes(10))) func chromiumShowsEachSave() async throws {
        let chromium = try #require(
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "headless Chromium is needed: bash Scripts/setup.sh --dev")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            at: PredictCommandTests.root.appendingPathComponent("Notebooks/images/dog.jpg"), to: folder.appendingPathComponent("dog.jpg"))
        let notebook = folder.appendingPathComponent("note.md")
        func write(caption: String) throws {
            try """
            ---
            title: Preview test
            ---

            ```{image} photo
            :src: dog.jpg
            :size: 64
            ```

            ```{show}
            :images: photo
            :caption: \(caption)
            ```
            """.write(to: notebook, atomically: true, encoding: .utf8)
        }
        try write(caption: "first caption")

        let port = UInt16.random(in: 20_000..<40_000)
        let blocker = try BackgroundProcess(loupeBinary, ["serve", notebook.path, "--port", "\(port)"], folder: folder, name: "blocker")
        defer { blocker.stop() }
        _ = try await blocker.waitForLine(containing: "serving", seconds: 180)
        let server = try BackgroundProcess(loupeBinary, ["serve", notebook.path, "--port", "\(port)"], folder: folder, name: "server")
        defer { server.stop() }
        let taken = try await server.waitForLine(containing: "is in use", seconds: 180)
        #expect(taken.contains("port \(port) is in use; serving on \(port + 1)"))
        _ = try await server.waitForLine(containing: "serving", seconds: 10)
        let url = try #require(URL(string: "http://127.0.0.1:\(port + 1)/"))

        let browser = try BackgroundProcess(
            URL(fileURLWithPath: chromium),
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
                url.absoluteString,
            ],
            folder: folder, name: "chromium")
        defer { browser.stop() }
        _ = try await server.waitForLine(containing: "a page is open", seconds: 180)
        #expect(try await Self.page(url).contains("first caption"))

        try write(caption: "second caption")
        let shown = try await server.waitForLine(containing: "a page shows render 2", seconds: 180)
        let page = try await Self.page(url)
        #expect(page.contains("second caption") && !page.contains("first caption"))
        // "… 0.31 s after the save (0.05 s of it computing cells)": the page follows within a
        // second plus the cells' compute time.
        let seconds = shown.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .punctuationCharacters)) }
        try #require(seconds.count == 3, "\(shown)")
        let scale = ProcessInfo.processInfo.environment["LOUPE_TEST_TIME_SCALE"].flatMap(Double.init) ?? 1
        #expect(seconds[1] - seconds[2] < max(scale, 1), "\(shown)")

        browser.stop()
        try await Task.sleep(for: .milliseconds(500))
        #expect(server.isRunning, "the server outlives a page that goes away")
        #expect(try await Self.page(url).contains("second caption"))
    }

    static func page(_ url: URL) async throws -> String {
        let (data, response) = try await URLSession.shared.data(from: url)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        return String(decoding: data, as: UTF8.self)
    }
}

/// A process left running while a test talks to it, its standard error in a file.
final class BackgroundProcess: @unchecked Sendable {
    private let process = Process()
    private let log: URL

    init(_ executable: URL, _ arguments: [String], folder: URL, name: String) throws {
        log = folder.appendingPathComponent("\(name).log")
        try #require(FileManager.default.createFile(atPath: log.path, contents: nil))
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["LOUPE_HOME"] = folder.appendingPathComponent("home").path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// The first line of standard error holding `text`, waiting for it up to `seconds` (times
    /// `LOUPE_TEST_TIME_SCALE`, which `Scripts/sanitize.sh` sets for its slower builds).
    func waitForLine(containing text: String, seconds: Double) async throws -> String {
        let scale = ProcessInfo.processInfo.environment["LOUPE_TEST_TIME_SCALE"].flatMap(Double.init) ?? 1
        let deadline = Date().addingTimeInterval(seconds * max(scale, 1))
        while Date() < deadline {
            let lines = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self).split(separator: "\n")
            if let line = lines.first(where: { $0.contains(text) }) { return String(line) }
            try await Task.sleep(for: .milliseconds(50))
        }
        let written = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
        Issue.record("no line with '\(text)' within \(seconds) s; it wrote:\n\(written)")
        throw CancellationError()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
