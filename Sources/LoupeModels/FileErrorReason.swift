import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
            case .fileWriteOutOfSpace: return "no space left on device"
            case .fileWriteVolumeReadOnly: return "read-only file system"
            default: break
            }
            if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                return posixText(Int32(underlying.code))
            }
        }
        if nsError.domain == NSPOSIXErrorDomain { return posixText(Int32(nsError.code)) }
        if nsError.domain != NSCocoaErrorDomain, let described = error as? CustomStringConvertible { return described.description }
        if let description = nsError.userInfo[NSLocalizedDescriptionKey] as? String { return description }
        return nsError.localizedDescription
    }

    /// The C library's text for `errno` value `code`, starting in lower case ("no space left on device").
    public static func posixText(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return "error \(code)" }
        return first.lowercased() + text.dropFirst()
    }
}
