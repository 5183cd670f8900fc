import LoupeTensor

/// A failure that stops a notebook stage.
///
/// Structural failures throw; non-fatal problems are returned as ``Diagnostic``s. Other stages
/// (plan, execute, render) add their own cases here.
public enum NotebookError: Error, CustomStringConvertible, Equatable {
    /// The front matter opened with `---` on line 1 but no closing `---` line follows.
    case unclosedFrontMatter(file: String, line: Int)
    /// The front matter is not valid YAML, or is not a mapping.
    ///
    /// `line` is the notebook line (not the line inside the YAML block); `message` is the YAML
    /// parser's own explanation.
    case invalidFrontMatter(file: String, line: Int, message: String)
    /// libcmark failed to render Markdown (an internal failure, not a user mistake).
    case markdownRenderingFailed(byteCount: Int)
    /// Writing the report file failed (the previous report, if any, is untouched).
    case writeFailed(path: String, reason: String)
    /// Encoding a report as a Jupyter notebook failed (an internal failure, not a user mistake).
    case notebookEncodingFailed(reason: String)

    /// The notebook file cannot be read.
    case unreadableNotebook(path: String, reason: String)
    /// `--set` names a param the notebook's front matter does not declare.
    case unknownParam(file: String, name: String, suggestions: [String])
    /// The notebook is over one of ``NotebookLimits``: `size` says how large it is ("is 104857603
    /// bytes"), `limit` the limit and what sets it.
    case tooLarge(file: String, size: String, limit: String)

    /// A compiler-style message naming the file and line where that applies.
    public var description: String {
        switch self {
        case let .unclosedFrontMatter(file, line):
            return "\(file):\(line): error: front matter opened with '---' is never closed;"
                + " expected a line containing only '---'"
        case let .invalidFrontMatter(file, line, message):
            return "\(file):\(line): error: invalid front matter: \(message)"
        case let .markdownRenderingFailed(byteCount):
            return "internal error: cmark returned no HTML for \(byteCount) bytes of Markdown"
        case let .unreadableNotebook(path, reason):
            return "\(path): error: cannot read the notebook: \(reason)"
        case let .unknownParam(file, name, suggestions):
            let hint = suggestions.isEmpty ? "" : "; did you mean " + suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?"
            return "\(file): error: --set \(name)=…: the notebook has no param '\(name)'\(hint)"
        case let .writeFailed(path, reason):
            return "could not write \(path): \(reason)"
        case let .tooLarge(file, size, limit):
            return "\(file): error: the notebook \(size); Loupe reads at most \(limit)"
        case let .notebookEncodingFailed(reason):
            return "internal error: could not encode the report as a Jupyter notebook: \(reason)"
        }
    }
}

extension NotebookError: OriginatedError {
    /// cmark and JSON encoding failures are Loupe's; the rest is the notebook's or the disk's.
    public var origin: ErrorOrigin {
        switch self {
        case .markdownRenderingFailed, .notebookEncodingFailed: return .internal
        default: return .input
        }
    }
}
