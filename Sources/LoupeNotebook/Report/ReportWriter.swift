import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes `html` to `url` so that the file there is always either the old report or the whole
/// new one, never a partial write.
///
/// The text is written as UTF-8 by the `Data` overload of this function.
///
/// - Throws: ``NotebookError/writeFailed(path:reason:)`` saying which step failed.
public func writeAtomically(_ html: String, to url: URL) throws {
    try writeAtomically(Data(html.utf8), to: url)
}

/// Writes `data` (an HTML report, a `.ipynb` notebook…) to `url` so that the file there is
/// always either the old content or the whole new one, never a partial write.
///
/// The bytes go to a hidden temporary file in the same directory, are flushed to disk, and the
/// file is then renamed over the target (`rename(2)` is atomic within one file system). The
/// directory is created when missing. On failure the temporary file is removed and the target is
/// left as it was.
///
/// - Throws: ``NotebookError/writeFailed(path:reason:)`` saying which step failed.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let target = url.standardizedFileURL
    let directory = target.deletingLastPathComponent()
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
        throw NotebookError.writeFailed(
            path: target.path, reason: "cannot create directory \(directory.path): \(error.localizedDescription)")
    }
    let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
    do {
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw NotebookError.writeFailed(path: target.path, reason: "cannot create temporary file \(temporary.path)")
        }
        let handle = try FileHandle(forWritingTo: temporary)
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            throw NotebookError.writeFailed(path: target.path, reason: "writing \(temporary.path): \(error.localizedDescription)")
        }
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw NotebookError.writeFailed(path: target.path, reason: "renaming the temporary file over it: \(reason)")
        }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        if let error = error as? NotebookError { throw error }
        throw NotebookError.writeFailed(path: target.path, reason: error.localizedDescription)
    }
}
