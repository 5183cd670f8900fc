import Foundation

/// How option text is read: flags, lists of cell names and file paths.
///
/// Shared by the planner's checks and the typed option values.
public enum OptionText {
    /// `true`/`yes`/`on`/`1` or `false`/`no`/`off`/`0`, any case; `nil` otherwise.
    static func parseFlag(_ value: String) -> Bool? {
        switch value.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: nil
        }
    }

    /// Comma-separated cell names, trimmed, empty ones dropped.
    static func splitReferences(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `path` with `~` expanded, made absolute against `base` when relative.
    public static func resolve(path: String, against base: URL) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL }
        return base.appendingPathComponent(expanded).standardizedFileURL
    }
}
