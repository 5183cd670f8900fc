import Foundation
import Testing

@testable import LoupeModels

#if canImport(Glibc)
    import Glibc
#endif

/// Output files: a regular file is replaced whole or not at all; anything else at the path (a
/// device, a FIFO) is written in place, never renamed over.
@Suite struct AtomicFileTests {
    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aRegularFileIsReplacedWholeAndAFailedWriteLeavesIt() throws {
        let scratch = try folder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let target = scratch.appendingPathComponent("sub/out.npy")
        try AtomicFile.write(Data("old".utf8), to: target)
        struct Interrupted: Error {}
        #expect(throws: AtomicFileError.self) {
            try AtomicFile.write(to: target) { handle in
                try handle.write(contentsOf: Data("half".utf8))
                throw Interrupted()
            }
        }
        #expect(try String(contentsOf: target, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.deletingLastPathComponent().path) == ["out.npy"])
        try AtomicFile.write(Data("new".utf8), to: target)
        #expect(try String(contentsOf: target, encoding: .utf8) == "new")
    }

    /// Renaming a temporary file over a FIFO (or `/dev/null`, which a root process can do) would
    /// replace it with a regular file.
    @Test func aFIFOIsWrittenInPlace() throws {
        let scratch = try folder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let fifo = scratch.appendingPathComponent("pipe")
        try #require(mkfifo(fifo.path, 0o600) == 0)
        // A reader that does not block, so that the writer's open succeeds.
        let reader = open(fifo.path, O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        defer { close(reader) }
        try AtomicFile.write(Data("through the pipe".utf8), to: fifo)
        var status = stat()
        #expect(lstat(fifo.path, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO, "the FIFO is still a FIFO")
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(reader, &buffer, buffer.count)
        #expect(count > 0 && String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self) == "through the pipe")
        #expect(throws: AtomicFileError.self) { try AtomicFile.write(Data(), to: scratch) }
    }
}
