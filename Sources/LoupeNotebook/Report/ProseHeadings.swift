import Foundation

/// An entry of the report's table of contents.
public struct TOCEntry: Sendable, Equatable {
    /// 1 to 3.
    public var level: Int
    /// The entry's text as HTML (already escaped: cell headings are escaped, prose headings are
    /// cmark output with their tags removed).
    public var html: String
    /// The `id` it links to.
    public var anchor: String
}

/// Gives prose `<h1>`–`<h3>` headings ids and collects them for the table of contents.
///
/// Ids are `h-` plus ``slug(for:)`` of the heading's text, made unique with `-2`, `-3`… in document
/// order, so they are deterministic. A heading that already has an `id` keeps it.
struct HeadingAnchors {
    private var used: Set<String> = []

    /// Reserves an id that something else (a cell section) uses.
    mutating func reserve(_ id: String) {
        used.insert(id)
    }

    /// A fresh id based on `text`.
    mutating func uniqueID(for text: String) -> String {
        used.claim("h-" + String(slug(for: text).prefix(60)))
    }

    private static let headingPattern = try? NSRegularExpression(
        pattern: "<h([1-3])((?:\\s[^>]*)?)>(.*?)</h\\1>",
        options: [.caseInsensitive, .dotMatchesLineSeparators]
    )
    private static let idPattern = try? NSRegularExpression(pattern: "\\sid\\s*=\\s*\"([^\"]*)\"", options: [.caseInsensitive])
    private static let tagPattern = try? NSRegularExpression(pattern: "<[^>]*>", options: [])

    /// `html` with ids added to its headings, and the table-of-contents entries for them.
    mutating func process(_ html: String) -> (html: String, entries: [TOCEntry]) {
        guard let headingPattern = Self.headingPattern else { return (html, []) }
        let source = html as NSString
        var output = ""
        var entries: [TOCEntry] = []
        var cursor = 0
        for match in headingPattern.matches(in: html, range: NSRange(location: 0, length: source.length)) {
            output += source.substring(with: NSRange(location: cursor, length: match.range.location - cursor))
            cursor = match.range.location + match.range.length
            let level = Int(source.substring(with: match.range(at: 1))) ?? 1
            let attributes = match.range(at: 2).location == NSNotFound ? "" : source.substring(with: match.range(at: 2))
            let inner = source.substring(with: match.range(at: 3))
            let text = Self.stripTags(inner).trimmingCharacters(in: .whitespacesAndNewlines)
            let anchor: String
            if let existing = Self.existingID(in: attributes) {
                anchor = existing
                used.insert(existing)
                output += source.substring(with: match.range)
            } else {
                anchor = uniqueID(for: text)
                output += "<h\(level) id=\"\(anchor)\"\(attributes)>\(inner)</h\(level)>"
            }
            entries.append(TOCEntry(level: level, html: text, anchor: anchor))
        }
        output += source.substring(from: cursor)
        return (output, entries)
    }

    private static func existingID(in attributes: String) -> String? {
        guard let idPattern, !attributes.isEmpty else { return nil }
        let source = attributes as NSString
        guard let match = idPattern.firstMatch(in: attributes, range: NSRange(location: 0, length: source.length)) else {
            return nil
        }
        return source.substring(with: match.range(at: 1))
    }

    private static func stripTags(_ html: String) -> String {
        guard let tagPattern else { return html }
        return tagPattern.stringByReplacingMatches(
            in: html, range: NSRange(location: 0, length: (html as NSString).length), withTemplate: "")
    }
}
