/// Errors of the report stage.
///
/// These belong in the target's `NotebookError` once it exists; they are kept apart here so the
/// render stage does not collide with the parsing stage written at the same time.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    /// A heatmap's value count is not `width × height`.
    case heatmapSizeMismatch(width: Int, height: Int, count: Int)
    /// A heatmap's size is not positive.
    case heatmapInvalidSize(width: Int, height: Int)
    /// A heatmap's value range is empty, reversed or not finite.
    case heatmapInvalidRange(lower: Float, upper: Float)
    /// A heatmap's gamma is not a positive finite number.
    case heatmapInvalidGamma(Float)
    /// Writing the report file failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .heatmapSizeMismatch(width, height, count):
            return "heatmap: expected \(width)×\(height) = \(width * height) values, found \(count)"
        case let .heatmapInvalidSize(width, height):
            return "heatmap: expected a positive size, found \(width)×\(height)"
        case let .heatmapInvalidRange(lower, upper):
            return "heatmap: expected a finite range with lower < upper, found [\(lower), \(upper)]"
        case let .heatmapInvalidGamma(gamma):
            return "heatmap: expected a positive finite gamma, found \(gamma)"
        case let .writeFailed(path, reason):
            return "could not write report to \(path): \(reason)"
        }
    }
}
