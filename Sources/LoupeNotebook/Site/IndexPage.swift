import Foundation
import LoupeImage

/// A self-contained page listing reports with a thumbnail each: the index of `loupe publish`
/// and of `loupe render --each`.
public struct IndexPage: Sendable {
    /// One listed report.
    public struct Entry: Sendable, Equatable {
        /// The link text.
        public var title: String
        /// The report's file name, relative to the index.
        public var href: String
        /// A sentence under the title, or `nil`.
        public var description: String?
        /// A small PNG, or `nil`.
        public var thumbnail: ImageOutput?
        /// Extra facts, one per line (top predictions, failures).
        public var facts: [String]

        /// An entry linking `title` to `href`, with an optional description, thumbnail and facts.
        public init(title: String, href: String, description: String? = nil, thumbnail: ImageOutput? = nil, facts: [String] = []) {
            self.title = title
            self.href = href
            self.description = description
            self.thumbnail = thumbnail
            self.facts = facts
        }
    }

    /// The page title.
    public var title: String
    /// A sentence under the title, or `nil`.
    public var description: String?
    /// The entries in display order.
    public var entries: [Entry]

    /// A page titled `title` listing `entries` in order.
    public init(title: String, description: String? = nil, entries: [Entry]) {
        self.title = title
        self.description = description
        self.entries = entries
    }

    /// A thumbnail of `image` at most `side` pixels on its longer side.
    public static func thumbnail(of image: ImageOutput, side: Int = 160) throws -> ImageOutput {
        let decoded = try RGBImage(data: image.png, name: image.caption)
        let scale = min(1, Double(side) / Double(max(decoded.width, decoded.height)))
        let width = max(1, Int((Double(decoded.width) * scale).rounded()))
        let height = max(1, Int((Double(decoded.height) * scale).rounded()))
        let small = scale < 1 ? try decoded.resized(width: width, height: height) : decoded
        return try ImageOutput(small, caption: image.caption, alt: image.alt)
    }

    /// The page as HTML; every string is escaped, every link is relative.
    public func render() -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(HTMLRenderer.contentSecurityPolicy)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="Loupe \(escapeHTML(LoupeVersion.string))">
            <title>\(escapeHTML(title))</title>
            <style>
            body { font: 16px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d1d1f; background: #fff; margin: 0; }
            main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
            h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
            .description { color: #555; margin: 0 0 1.5rem; }
            ul.entries { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: 1rem; }
            li.entry { border: 1px solid #ddd; border-radius: 8px; padding: .75rem; break-inside: avoid; }
            li.entry img { display: block; max-width: 100%; height: auto; margin: 0 auto .5rem; border-radius: 4px; }
            li.entry a { font-weight: 600; color: #0b57d0; text-decoration: none; }
            li.entry a:hover { text-decoration: underline; }
            li.entry p { margin: .25rem 0 0; color: #444; font-size: .92rem; }
            ol.facts { margin: .4rem 0 0; padding-left: 1.2rem; font-size: .9rem; }
            @media print { li.entry { border-color: #999; } a { color: #000; } }
            </style>
            </head>
            <body>
            <main>
            <h1>\(escapeHTML(title))</h1>

            """
        if let description, !description.isEmpty {
            html += "<p class=\"description\">\(escapeHTML(description))</p>\n"
        }
        html += "<ul class=\"entries\">\n"
        for entry in entries {
            html += "<li class=\"entry\">\n"
            if let thumbnail = entry.thumbnail {
                html +=
                    "<a href=\"\(escapeHTML(entry.href))\"><img src=\"data:image/png;base64,\(thumbnail.png.base64EncodedString())\" width=\"\(thumbnail.width)\" height=\"\(thumbnail.height)\" alt=\"\(escapeHTML(thumbnail.alt))\"></a>\n"
            }
            html += "<a href=\"\(escapeHTML(entry.href))\">\(escapeHTML(entry.title))</a>\n"
            if let description = entry.description, !description.isEmpty {
                html += "<p>\(escapeHTML(description))</p>\n"
            }
            if !entry.facts.isEmpty {
                html += "<ol class=\"facts\">\n" + entry.facts.map { "<li>\(escapeHTML($0))</li>\n" }.joined() + "</ol>\n"
            }
            html += "</li>\n"
        }
        html += "</ul>\n</main>\n</body>\n</html>\n"
        return html
    }
}
