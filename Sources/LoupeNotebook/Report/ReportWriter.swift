import Foundation
import LoupeModels

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
/// always either the old content or the whole new one, never a partial write (``AtomicFile``;
/// a device such as `/dev/null` is written in place).
///
/// - Throws: ``NotebookError/writeFailed(path:reason:)`` saying which step failed.
public func writeAtomically(_ data: Data, to url: URL) throws {
    do {
        try AtomicFile.write(data, to: url)
    } catch let error as AtomicFileError {
        throw NotebookError.writeFailed(path: error.path, reason: error.reason)
    }
}
