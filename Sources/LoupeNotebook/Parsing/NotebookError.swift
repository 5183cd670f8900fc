/// A failure that stops a notebook stage.
///
/// Structural failures throw; non-fatal problems are returned as ``Diagnostic``s. Other stages
/// (plan, execute, render) add their own cases here.
public enum NotebookError: Error, CustomStringConvertible {
    /// The front matter opened with `---` on line 1 but no closing `---` line follows.
    case unclosedFrontMatter(file: String, line: Int)
    /// The front matter is not valid YAML, or is not a mapping.
    ///
    /// `line` is the notebook line (not the line inside the YAML block); `message` is the YAML
    /// parser's own explanation.
    case invalidFrontMatter(file: String, line: Int, message: String)
    /// libcmark failed to render Markdown (an internal failure, not a user mistake).
    case markdownRenderingFailed(byteCount: Int)

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
        }
    }
}
