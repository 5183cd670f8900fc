import Foundation

/// A short reason for a file-system error, for messages that already name the file.
///
/// "no such file", "permission denied", "not UTF-8 text", or Foundation's own description
/// otherwise. Foundation's default text is a dump of the error's dictionary; the command line and the
/// notebook both say it this way instead.
public enum FileErrorReason {
    /// The reason `error` gives, without the file's path.
    public static func text(for error: Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: nsError.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file"
            case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
            case .fileReadInapplicableStringEncoding: return "not UTF-8 text"
            default: break
            }
        }
        if let description = nsError.userInfo[NSLocalizedDescriptionKey] as? String { return description }
        return nsError.localizedDescription
    }
}
