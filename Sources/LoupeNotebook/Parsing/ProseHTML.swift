import CCMark

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Renders CommonMark prose to HTML with libcmark, in safe mode.
///
/// Uses `CMARK_OPT_DEFAULT` (never `CMARK_OPT_UNSAFE`): raw HTML blocks and inline HTML are
/// replaced by `<!-- raw HTML omitted -->`, and links or images with `javascript:`,
/// `vbscript:`, `file:` or non-image `data:` URLs get an empty `href`/`src`.
///
/// - Parameter markdown: CommonMark text.
/// - Returns: An HTML fragment.
/// - Throws: ``NotebookError/markdownRenderingFailed(byteCount:)`` if libcmark returns nothing.
public func proseHTML(_ markdown: String) throws -> String {
    let byteCount = markdown.utf8.count
    guard let html = cmark_markdown_to_html(markdown, byteCount, CMARK_OPT_DEFAULT) else {
        throw NotebookError.markdownRenderingFailed(byteCount: byteCount)
    }
    defer { free(html) }
    return String(cString: html)
}

/// An anchor id for a heading, for the table of contents.
///
/// Lowercases, keeps Unicode letters and digits, `-` and `_`, turns each run of whitespace into
/// one `-` and drops other characters. Duplicates are the caller's to number (`intro`,
/// `intro-1`). A heading with nothing left gives `section`.
///
/// - Parameter heading: The heading's plain text.
/// - Returns: The slug.
public func slug(for heading: String) -> String {
    var result = ""
    var pendingDash = false
    for character in heading.lowercased() {
        if character.isWhitespace {
            pendingDash = !result.isEmpty
        } else if character.isLetter || character.isNumber || character == "-" || character == "_" {
            if pendingDash { result.append("-") }
            pendingDash = false
            result.append(character)
        }
    }
    return result.isEmpty ? "section" : result
}
