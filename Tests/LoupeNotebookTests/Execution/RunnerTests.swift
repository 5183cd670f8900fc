import Foundation
import Testing

@testable import LoupeNotebook

@Suite struct RunnerTests {
    /// Renders `text` (written to a temporary notebook) with the test directives.
    func render(_ text: String, folder: URL, cache: CellCache?, overrides: [NamedValue] = []) throws -> NotebookRendering {
        let url = folder.appendingPathComponent("nb.md")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try NotebookRendering(
            notebook: url, displayPath: "nb.md", overrides: overrides, cache: cache, registry: .testing, clock: { 0 })
    }

    @Test func aFailingCellShowsItsErrorDependantsAreSkippedAndTheRestRuns() throws {
        let folder = try temporaryFolder()
        let rendering = try render(
            """
            ```{number} a
            :value: 1
            ```

            ```{sum} broken
            :of: a
            :fail: true
            ```

            ```{sum} later
            :of: broken
            ```

            ```{sum} evenLater
            :of: later
            ```

            ```{sum} fine
            :of: a
            ```
            """, folder: folder, cache: nil)
        let statuses = Dictionary(uniqueKeysWithValues: rendering.report.cells.map { ($0.id, $0.status) })
        #expect(statuses["a"] == .ok)
        #expect(statuses["broken"] == .failed("told to fail <b>loudly</b>"))
        #expect(statuses["later"] == .skipped("it reads 'broken' (line 5), which failed"))
        #expect(statuses["evenLater"] == .skipped("it reads 'later', which was skipped"))
        #expect(statuses["fine"] == .ok)
        #expect(rendering.report.cells.first { $0.id == "fine" }?.outputs == [.text("a = 1")])
        #expect(rendering.summary == NotebookRunner.Summary(ran: 2, cached: 0, failed: 1, skipped: 2))
        #expect(rendering.report.hasFailures)
        let html = HTMLRenderer().render(rendering.report)
        #expect(html.contains("told to fail &lt;b&gt;loudly&lt;/b&gt;"))
        #expect(!html.contains("<b>loudly</b>"))
    }

    @Test func planErrorsFailInPlaceWithoutStoppingTheNotebook() throws {
        let rendering = try render(
            "```{number} a\n:valeu: 1\n```\n\n```{number} b\n:value: 2\n```\n", folder: try temporaryFolder(), cache: nil)
        #expect(
            rendering.report.cells.map(\.status) == [
                .failed("'{number}' has no option ':valeu:'; did you mean 'value'?"), .ok,
            ])
    }

    @Test func anUnchangedNotebookRecomputesNothing() throws {
        let folder = try temporaryFolder()
        let cache = CellCache(directory: folder.appendingPathComponent("cache"))
        let token = UUID().uuidString
        let text = "```{number} a\n:value: 1\n:log: \(token)\n```\n\n```{sum} s\n:of: a\n:log: \(token)\n```\n"
        let cold = try render(text, folder: folder, cache: cache)
        #expect(RunLog.shared.runs(token) == ["a", "s"])
        let warm = try render(text, folder: folder, cache: cache)
        #expect(RunLog.shared.runs(token) == ["a", "s"], "nothing ran again")
        #expect(warm.summary == NotebookRunner.Summary(ran: 0, cached: 2, failed: 0, skipped: 0))
        #expect(warm.report.cells.map(\.outputs) == cold.report.cells.map(\.outputs))
        #expect(warm.report.cells.allSatisfy { $0.cached })
    }

    @Test func changingAParamRecomputesOnlyTheCellsThatDependOnIt() throws {
        let folder = try temporaryFolder()
        let cache = CellCache(directory: folder.appendingPathComponent("cache"))
        let token = UUID().uuidString
        let text = """
            ---
            params:
              n: 1
            ---
            ```{number} a
            :value: "{{ n }}"
            :log: \(token)
            ```

            ```{number} b
            :value: 10
            :log: \(token)
            ```

            ```{sum} both
            :of: a, b
            :log: \(token)
            ```

            ```{sum} onlyB
            :of: b
            :log: \(token)
            ```
            """
        _ = try render(text, folder: folder, cache: cache)
        #expect(RunLog.shared.runs(token) == ["a", "b", "both", "onlyB"])
        let changed = try render(text, folder: folder, cache: cache, overrides: [NamedValue(name: "n", value: "2")])
        // `both` needs b's value; b's outputs come from the cache but its value is recomputed.
        #expect(RunLog.shared.runs(token) == ["a", "b", "both", "onlyB", "a", "b", "both"])
        #expect(changed.summary == NotebookRunner.Summary(ran: 2, cached: 2, failed: 0, skipped: 0))
        #expect(changed.report.cells.first { $0.id == "both" }?.outputs == [.text("a + b = 12")])
    }

    @Test func changingAFilesBytesRecomputesTheCellThatReadsIt() throws {
        let folder = try temporaryFolder()
        let cache = CellCache(directory: folder.appendingPathComponent("cache"))
        let token = UUID().uuidString
        let data = folder.appendingPathComponent("data.txt")
        try Data("abc".utf8).write(to: data)
        let text = "```{checksum}\n:src: data.txt\n:log: \(token)\n```\n"
        _ = try render(text, folder: folder, cache: cache)
        _ = try render(text, folder: folder, cache: cache)
        #expect(RunLog.shared.runs(token).count == 1)
        try Data("abcdef".utf8).write(to: data)
        let changed = try render(text, folder: folder, cache: cache)
        #expect(RunLog.shared.runs(token).count == 2)
        #expect(changed.report.cells[0].outputs == [.text("6 bytes")])
    }

    @Test func withoutACacheEverythingRunsAndNothingIsStored() throws {
        let folder = try temporaryFolder()
        let token = UUID().uuidString
        let text = "```{number} a\n:value: 1\n:log: \(token)\n```\n"
        _ = try render(text, folder: folder, cache: nil)
        _ = try render(text, folder: folder, cache: nil)
        #expect(RunLog.shared.runs(token) == ["a", "a"])
    }

    @Test func aCorruptCacheEntryIsAMissAndIsRewritten() throws {
        let folder = try temporaryFolder()
        let cache = CellCache(directory: folder.appendingPathComponent("cache"))
        let token = UUID().uuidString
        let text = "```{number} a\n:value: 1\n:log: \(token)\n```\n"
        let first = try render(text, folder: folder, cache: cache)
        let key = try #require(first.plan.cells[0].cacheKey)
        try Data("{\"version\": tru".utf8).write(to: cache.directory.appendingPathComponent(key + ".json"))
        let second = try render(text, folder: folder, cache: cache)
        #expect(RunLog.shared.runs(token) == ["a", "a"])
        #expect(second.report.cells[0].outputs == first.report.cells[0].outputs)
        #expect(cache.entry(for: key) != nil, "rewritten")
        #expect(try cache.clear() == 1)
        #expect(cache.entry(for: key) == nil)
    }

    @Test func coldAndWarmRendersGiveTheSameBytesWithoutTimings() throws {
        let folder = try temporaryFolder()
        let cache = CellCache(directory: folder.appendingPathComponent("cache"))
        let text = "---\ntitle: Same <bytes>\n---\n# Numbers\n\n```{number} a\n:value: 1\n```\n\n```{sum} s\n:of: a\n```\n"
        let cold = HTMLRenderer().render(try render(text, folder: folder, cache: cache).report.withoutTimings())
        let warm = HTMLRenderer().render(try render(text, folder: folder, cache: cache).report.withoutTimings())
        let uncached = HTMLRenderer().render(try render(text, folder: folder, cache: nil).report.withoutTimings())
        #expect(cold == warm)
        #expect(cold == uncached)
        #expect(cold.contains("Same &lt;bytes&gt;"))
    }
}
