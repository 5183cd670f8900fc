/// One line of notebook source with its 1-based line number.
struct SourceLine: Sendable, Equatable {
    /// The 1-based line number in the original text.
    var number: Int
    /// The line's text without its line ending.
    var text: String

    /// Whether the line holds only spaces and tabs.
    var isBlank: Bool { text.allSatisfy { $0 == " " || $0 == "\t" } }

    /// Splits text into lines, accepting `\n`, `\r\n` and `\r` endings (CommonMark's set).
    ///
    /// A final line ending does not start another line, and a leading byte-order mark is
    /// dropped, so numbers match what an editor shows.
    ///
    /// - Parameter text: The whole notebook.
    /// - Returns: The lines, numbered from 1.
    static func split(_ text: String) -> [SourceLine] {
        var body = Substring(text)
        if body.first == "\u{FEFF}" { body = body.dropFirst() }
        // Swift treats "\r\n" as one Character, so it is matched as a unit here.
        var parts = body.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        if parts.count > 1, parts.last?.isEmpty == true { parts.removeLast() }
        if body.isEmpty { parts = [] }
        return parts.enumerated().map { SourceLine(number: $0.offset + 1, text: String($0.element)) }
    }
}

/// A CommonMark code fence: 3+ backticks or tildes, indented at most 3 spaces.
struct Fence: Sendable, Equatable {
    /// The fence character, `` ` `` or `~`.
    var character: Character
    /// How many fence characters open the block; the closing fence needs at least as many.
    var length: Int
    /// The spaces before the fence; removed from content lines as CommonMark does.
    var indent: Int
    /// The info string after the fence, trimmed.
    var info: String

    /// Reads an opening fence, or returns `nil` when the line is not one.
    ///
    /// A line indented 4+ columns (or by a tab) is indented code, never a fence, and a backtick
    /// fence's info string may not contain backticks.
    ///
    /// - Parameter line: A line without its ending.
    init?(opening line: String) {
        let indent = line.prefix { $0 == " " }.count
        guard indent <= 3 else { return nil }
        let rest = line.dropFirst(indent)
        guard let character = rest.first, character == "`" || character == "~" else { return nil }
        let length = rest.prefix { $0 == character }.count
        guard length >= 3 else { return nil }
        let info = rest.dropFirst(length).trimmingEdges()
        if character == "`", info.contains("`") { return nil }
        self.init(character: character, length: length, indent: indent, info: String(info))
    }

    /// Creates a fence from its parts.
    ///
    /// - Parameters:
    ///   - character: The fence character.
    ///   - length: The number of fence characters.
    ///   - indent: The spaces before the fence.
    ///   - info: The trimmed info string.
    init(character: Character, length: Int, indent: Int, info: String) {
        self.character = character
        self.length = length
        self.indent = indent
        self.info = info
    }

    /// Whether a line closes this fence: at most 3 spaces, at least ``length`` of the same
    /// character, then only spaces or tabs.
    ///
    /// - Parameter line: A line without its ending.
    /// - Returns: `true` for a closing fence.
    func isClosed(by line: String) -> Bool {
        let indent = line.prefix { $0 == " " }.count
        guard indent <= 3 else { return false }
        let rest = line.dropFirst(indent)
        let run = rest.prefix { $0 == character }.count
        guard run >= length else { return false }
        return rest.dropFirst(run).allSatisfy { $0 == " " || $0 == "\t" }
    }

    /// Removes up to ``indent`` leading spaces from a content line.
    ///
    /// - Parameter line: A content line.
    /// - Returns: The line as CommonMark sees it inside the fence.
    func dedent(_ line: String) -> String {
        let spaces = min(indent, line.prefix { $0 == " " }.count)
        return String(line.dropFirst(spaces))
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingEdges() -> SubSequence {
        let isEdge: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isEdge($0) }), let last = lastIndex(where: { !isEdge($0) }) else {
            return self[endIndex...]
        }
        return self[start...last]
    }
}
