/// The text with `&`, `<`, `>`, `"` and `'` replaced by character references, safe inside HTML
/// element content and inside double- or single-quoted attribute values.
///
/// Every piece of user text that the report shows (titles, captions, labels, file names, table
/// cells, error messages, option values, directive sources) goes through this one function.
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
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}
