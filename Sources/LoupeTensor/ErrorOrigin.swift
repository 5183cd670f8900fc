/// Whose fault an error is: the user's input, or Loupe itself.
///
/// The command line exits with status 2 for input errors (a file that is not an image, a model
/// name that does not exist, an option out of range) and 3 for internal ones (a bug, a library
/// that failed), so scripts can tell "fix your input" from "report this".
public enum ErrorOrigin: Sendable, Equatable {
    /// A file, name, option or value the user gave is wrong; the message says which and why.
    case input
    /// Loupe or a library it calls failed where the input was fine: a bug to report.
    case `internal`
}

/// An error that says whose fault it is.
public protocol OriginatedError: Error {
    var origin: ErrorOrigin { get }
}

extension TensorError: OriginatedError {
    /// oneDNN failures are internal; shape, argument and NaN errors come from what was passed.
    public var origin: ErrorOrigin {
        if case .dnnl = self { return .internal }
        return .input
    }
}
