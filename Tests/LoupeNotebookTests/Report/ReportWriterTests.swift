import Foundation
import Testing

@testable import LoupeNotebook

@Suite struct ReportWriterTests {
    private func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-report-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func leftovers(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }
    }

    @Test func createsMissingFoldersAndReplacesOldReport() throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let target = root.appendingPathComponent("site/notebooks/report.html")
        try writeAtomically("<p>old</p>", to: target)
        #expect(try String(contentsOf: target, encoding: .utf8) == "<p>old</p>")
        try writeAtomically("<p>new ✓</p>", to: target)
        #expect(try String(contentsOf: target, encoding: .utf8) == "<p>new ✓</p>")
        #expect(try leftovers(in: target.deletingLastPathComponent()).isEmpty)
    }

    @Test func aDirectoryInTheWayIsRefusedAndKeptWithNoTemporaryFile() throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // The target is a non-empty directory: the writer refuses it before writing anything
        // (renaming a file over it would fail with EISDIR); this does not depend on permissions,
        // which root ignores.
        let target = root.appendingPathComponent("report.html")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let old = target.appendingPathComponent("old.txt")
        try Data("old".utf8).write(to: old)

        let error = #expect(throws: NotebookError.self) {
            try writeAtomically("<p>new</p>", to: target)
        }
        guard case let .writeFailed(path, reason)? = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(path == target.standardizedFileURL.path)
        #expect(reason == "it is a directory")
        #expect(try String(contentsOf: old, encoding: .utf8) == "old")
        #expect(try leftovers(in: root).isEmpty)
    }

    @Test func failsWhenTheFolderCannotBeCreated() throws {
        let root = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let blocker = root.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        #expect(throws: NotebookError.self) {
            try writeAtomically("<p>new</p>", to: blocker.appendingPathComponent("report.html"))
        }
        #expect(try String(contentsOf: blocker, encoding: .utf8) == "x")
    }
}
