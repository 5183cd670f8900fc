import Foundation
import Testing

@testable import LoupeNotebook

/// Compares the sample report with `Fixtures/report/sample.html`.
///
/// Set `LOUPE_RECORD=1` to rewrite the fixture (review the diff before committing it). Set
/// `LOUPE_REPORT_SAMPLE=/path/file.html` to also write the rendered sample there for viewing.
@Suite struct ReportSnapshotTests {
    private static let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/report/sample.html")

    @Test func sampleReportMatchesSnapshot() throws {
        let html = HTMLRenderer().render(try ReportSampleData.small())
        let environment = ProcessInfo.processInfo.environment
        if let sample = environment["LOUPE_REPORT_SAMPLE"], !sample.isEmpty {
            try writeAtomically(html, to: URL(fileURLWithPath: sample))
        }
        if environment["LOUPE_RECORD"] == "1" {
            try writeAtomically(html, to: Self.fixture)
            return
        }
        let expected = try? String(contentsOf: Self.fixture, encoding: .utf8)
        try #require(expected != nil, "no snapshot at \(Self.fixture.path); run with LOUPE_RECORD=1")
        if html != expected {
            let got = html.split(separator: "\n", omittingEmptySubsequences: false)
            let want = (expected ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            let line = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
            Issue.record(
                "snapshot differs from line \(line + 1): got \(got.indices.contains(line) ? String(got[line].prefix(200)) : "<end>"), expected \(want.indices.contains(line) ? String(want[line].prefix(200)) : "<end>")"
            )
        }
    }
}
