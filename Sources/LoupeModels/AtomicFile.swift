import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed write of an output file, with the path and the step that failed.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
    /// The file that was to be written.
    public let path: String
    /// What went wrong, in a few words.
    public let reason: String

    /// `path: cannot write it: reason`.
    public var description: String { "\(path): cannot write it: \(reason)" }
}

/// Writes output files (reports, adaptors, `.npy` arrays) so that a regular file at the path is
/// always either its old content or the whole new one.
///
/// The bytes go to a hidden temporary file in the same directory, are flushed, and the file is
/// renamed over the target (`rename(2)` is atomic within one file system); the directory is
/// created when missing, and on failure the temporary file is removed and the target left as it
/// was. A target that exists and is not a regular file — `/dev/null`, a FIFO, a terminal — is
/// written in place: renaming over it would replace the device with a file.
public enum AtomicFile {
    /// How a failed write ends its reason: nothing was lost.
    static let unchanged = "the file there before is unchanged"

    /// Writes `data` to `url`.
    ///
    /// - Throws: ``AtomicFileError`` saying which step failed.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { try $0.write(contentsOf: data) }
    }

    /// Writes what `body` writes to the handle it is given (for output too large to hold twice).
    ///
    /// - Throws: ``AtomicFileError`` saying which step failed; what `body` throws, as its reason.
    public static func write(to url: URL, _ body: (FileHandle) throws -> Void) throws {
        let target = url.standardizedFileURL
        var status = stat()
        if lstat(target.path, &status) == 0, status.st_mode & S_IFMT != S_IFREG, status.st_mode & S_IFMT != S_IFLNK {
            guard status.st_mode & S_IFMT != S_IFDIR else { throw AtomicFileError(path: target.path, reason: "it is a directory") }
            let handle: FileHandle
            do {
                handle = try FileHandle(forWritingTo: target)
            } catch {
                throw AtomicFileError(path: target.path, reason: FileErrorReason.text(for: error))
            }
            defer { try? handle.close() }
            do {
                try body(handle)
            } catch {
                throw AtomicFileError(path: target.path, reason: "\(error)")
            }
            return
        }
        let directory = target.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw AtomicFileError(
                path: target.path, reason: "cannot create directory \(directory.path): \(FileErrorReason.text(for: error))")
        }
        let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw AtomicFileError(
                path: target.path,
                reason: "cannot create a file in \(directory.path): \(FileErrorReason.posixText(errno)) (\(Self.unchanged))")
        }
        do {
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
            do {
                try body(handle)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw AtomicFileError(path: target.path, reason: "\(FileErrorReason.text(for: error)) (\(Self.unchanged))")
            }
            guard rename(temporary.path, target.path) == 0 else {
                throw AtomicFileError(
                    path: target.path, reason: "renaming the new copy over it: \(FileErrorReason.posixText(errno)) (\(Self.unchanged))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? AtomicFileError { throw error }
            throw AtomicFileError(path: target.path, reason: FileErrorReason.text(for: error))
        }
    }
}
