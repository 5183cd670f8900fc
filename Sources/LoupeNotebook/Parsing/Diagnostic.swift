/// A non-fatal problem found while reading a notebook, with its place in the source.
///
/// Parsing keeps going after a diagnostic (MyST's `ParseWarnings`); only structural failures
/// throw ``NotebookError``. Later stages decide what an `.error` diagnostic means for a cell.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Sendable, Equatable {
        /// The notebook is wrong here; the affected block should not run as written.
        case error
        /// Something looks unintended, but the notebook can still be processed.
        case warning
    }

    /// What kind of problem a diagnostic reports.
    ///
    /// The set is open: later stages add their own codes.
    public enum Code: String, Sendable, Equatable {
        /// A front-matter key that Loupe does not know.
        case unknownFrontMatterKey
        /// A front-matter key given more than once.
        case duplicateFrontMatterKey
        /// A front-matter value of the wrong shape (for example a list where text is expected).
        case malformedFrontMatterValue
        /// A directive option given more than once.
        case duplicateOption
        /// A fenced block without its closing fence.
        case unclosedFence
        /// An option line or option block that cannot be read.
        case malformedOption
        /// An info string that starts with `{` but is not a valid `{name}`.
        case malformedDirectiveName
        /// Prose shows an image that cannot be embedded in the report (remote, missing, not
        /// PNG or JPEG).
        case unembeddableImage
    }

    /// How serious the problem is.
    public var severity: Severity
    /// What kind of problem it is.
    public var code: Code
    /// The source name (usually a file path) given to the parser.
    public var file: String
    /// The 1-based source line the problem is on.
    public var line: Int
    /// What was expected and what was found.
    public var message: String

    /// Creates a diagnostic.
    ///
    /// - Parameters:
    ///   - severity: How serious the problem is.
    ///   - code: What kind of problem it is.
    ///   - file: The source name.
    ///   - line: The 1-based source line.
    ///   - message: What was expected and what was found.
    public init(severity: Severity, code: Code, file: String, line: Int, message: String) {
        self.severity = severity
        self.code = code
        self.file = file
        self.line = line
        self.message = message
    }

    /// The compiler-style form `file:line: error: message`.
    public var description: String {
        "\(file):\(line): \(severity.rawValue): \(message)"
    }
}
