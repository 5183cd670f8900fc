import Foundation

/// The text with `&`, `<`, `>`, `"` and `'` replaced by character references, safe inside HTML
/// element content and inside double- or single-quoted attribute values.
///
/// Every piece of user text that the report shows (titles, captions, labels, file names, table
/// cells, error messages, option values, directive sources) goes through this one function.
///
/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and control
/// characters other than tab and line breaks are shown as `[U+202E]`: an override in a file name
/// or a cell's source could otherwise make the report show text in another order than the one
/// that runs (`photo‮gpj.exe`), and a control character has no visible form.
public func escapeHTML(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        case "\u{202A}"..."\u{202E}", "\u{2066}"..."\u{2069}", "\u{00}"..."\u{08}", "\u{0B}", "\u{0C}", "\u{0E}"..."\u{1F}",
            "\u{7F}"..."\u{9F}":
            result += String(format: "[U+%04X]", scalar.value)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}
