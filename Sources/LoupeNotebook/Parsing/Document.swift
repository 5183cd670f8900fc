/// A parsed notebook: front matter and blocks in source order.
///
/// Produced by ``parse(_:source:)``; the input of the plan stage.
public struct Document: Sendable, Equatable {
    /// The source name (usually a file path), used in messages.
    public var source: String
    /// The front matter; empty when the notebook has none.
    public var frontMatter: FrontMatter
    /// The blocks in source order.
    public var blocks: [Block]

    /// Creates a document.
    ///
    /// - Parameters:
    ///   - source: The source name.
    ///   - frontMatter: The front matter.
    ///   - blocks: The blocks in source order.
    public init(source: String, frontMatter: FrontMatter = FrontMatter(), blocks: [Block] = []) {
        self.source = source
        self.frontMatter = frontMatter
        self.blocks = blocks
    }

    /// The directive blocks, in source order.
    public var directives: [DirectiveBlock] {
        blocks.compactMap {
            if case let .directive(directive) = $0 { return directive }
            return nil
        }
    }
}

/// One top-level piece of a notebook.
public enum Block: Sendable, Equatable {
    /// CommonMark prose between fenced blocks (leading and trailing blank lines dropped).
    case prose(markdown: String, lines: ClosedRange<Int>)
    /// A MyST directive: a cell that runs.
    case directive(DirectiveBlock)
    /// Any other fenced code block: shown, never run. `language` is the first word of the info
    /// string, or `nil`.
    case code(language: String?, text: String, lines: ClosedRange<Int>)

    /// The 1-based source lines of the block.
    public var lines: ClosedRange<Int> {
        switch self {
        case let .prose(_, lines), let .code(_, _, lines): lines
        case let .directive(directive): directive.lines
        }
    }
}
